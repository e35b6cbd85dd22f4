"""The model's enums, registered as GraphQL enums under the same names.

Registering mutates nothing but strawberry's own marker on each class; the aliases let
resolvers import the enums from here, where they are known to be registered.
"""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from graph import model

strawberry.enum(model.Tier, description="Customer value tier; service levels follow it.")
Tier: TypeAlias = model.Tier
strawberry.enum(model.Segment)
Segment: TypeAlias = model.Segment
strawberry.enum(model.DepartmentKind, description="Front office (sales, marketing, service) or back.")
DepartmentKind: TypeAlias = model.DepartmentKind
strawberry.enum(model.Function, description="What a department does.")
Function: TypeAlias = model.Function
strawberry.enum(model.OrderStatus)
OrderStatus: TypeAlias = model.OrderStatus
strawberry.enum(model.OrderStep, description="Steps of an order, each handled by one employee.")
OrderStep: TypeAlias = model.OrderStep
strawberry.enum(model.Channel, description="How a customer and an employee were in touch.")
Channel: TypeAlias = model.Channel
strawberry.enum(model.TicketStatus)
TicketStatus: TypeAlias = model.TicketStatus
strawberry.enum(model.Priority)
Priority: TypeAlias = model.Priority
strawberry.enum(model.SourceSystem, description="A system of record that knows customers or staff.")
SourceSystem: TypeAlias = model.SourceSystem
