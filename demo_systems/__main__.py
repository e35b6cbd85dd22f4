"""DEMO systems only: ``python -m demo_systems start|stop|status`` (see ``demo_systems.local``)."""

from demo_systems.local import main

raise SystemExit(main())
