"""The model's enums, exposed as GraphQL enums under the same names."""

from __future__ import annotations

import strawberry

from graph import model

Tier = strawberry.enum(model.Tier, description="Customer value tier; service levels follow it.")
Segment = strawberry.enum(model.Segment)
DepartmentKind = strawberry.enum(model.DepartmentKind, description="Front office (sales, marketing, service) or back.")
Function = strawberry.enum(model.Function, description="What a department does.")
OrderStatus = strawberry.enum(model.OrderStatus)
OrderStep = strawberry.enum(model.OrderStep, description="Steps of an order, each handled by one employee.")
Channel = strawberry.enum(model.Channel, description="How a customer and an employee were in touch.")
TicketStatus = strawberry.enum(model.TicketStatus)
Priority = strawberry.enum(model.Priority)
SourceSystem = strawberry.enum(model.SourceSystem, description="A system of record that knows customers or staff.")
