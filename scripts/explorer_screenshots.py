"""Screenshots of each view of the explorer, for the README: docs/explorer/*.png.

Runs the page in Debian's headless chromium (as the browser tests do) against a running service
with development keys, whose page then offers a token per role; the demo company's ids are
found through the API with the admin's token. Start the service first, then:

    make run                                               # or CG_PORT=8795 ... python -m server serve
    .venv/bin/python scripts/explorer_screenshots.py --url http://127.0.0.1:8000

Each shot is the page opened from a shared link (state in the URL), as anyone could open it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import ExplorerPage, chromium  # noqa: E402

OUT = ROOT / "docs" / "explorer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with chromium(1600, 1000) as browser:
        page = ExplorerPage(browser, arguments.url)
        browser.get(f"{arguments.url}/explore")
        page.idle()
        identities = page.script("return JSON.parse(document.getElementById('explorer-config').textContent).identities")
        if not identities:
            sys.exit("the page offers no tokens: run the service with development keys (make run)")
        admin = next(identity for identity in identities if identity["role"] == "admin")
        ids = _demo_ids(arguments.url, admin["token"])
        customer, ticket, department = ids["customer"], ids["ticket"], ids["department"]
        shots = {
            "neighbourhood": f"as=admin&focus=CUSTOMER:{customer}&open=EMPLOYEE:{ids['owner']}&sel=CUSTOMER:{customer}",
            "path": f"as=admin&focus=CUSTOMER:{customer}&from=CUSTOMER:{customer}&to=DEPARTMENT:{ids['far_department']}"
            f"&paths=all&sel=CUSTOMER:{customer}",
            "journey": f"as=admin&focus=CUSTOMER:{customer}&sel=CUSTOMER:{customer}&view=journey",
            "handoffs": f"as=admin&focus=TICKET:{ticket}&sel=TICKET:{ticket}&view=handoffs",
            "alerts": f"as=admin&focus=DEPARTMENT:{department}&sel=DEPARTMENT:{department}&view=alerts",
            "experts": f"as=admin&focus=CUSTOMER:{customer}&sel=CUSTOMER:{customer}&view=experts",
            "service-agent": f"as=service_agent&focus=EMPLOYEE:{ids['owner']}&sel=EMPLOYEE:{ids['owner']}&view=list",
        }
        for name, fragment in shots.items():
            browser.get(f"{arguments.url}/explore#{fragment}")
            browser.refresh()
            page.idle(60)
            time.sleep(0.5)
            target = arguments.out / f"{name}.png"
            browser.save_screenshot(str(target))
            print(f"{target.relative_to(ROOT)}: {fragment}")


def _demo_ids(url: str, token: str) -> dict[str, Any]:
    """A customer with an owner and a ticket handed off several times; a department with alerts."""
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=60) as http:

        def ask(query: str) -> Any:
            body = http.post("/graphql", json={"query": query}).json()
            if "errors" in body:
                raise SystemExit(f"the API refused {query}: {body['errors']}")
            return body["data"]

        alerts = ask("{ serviceLevelAlerts(first: 20) { nodes { ticket { id handOffs { at } customer { id } } "
                     "department { id } } } }")["serviceLevelAlerts"]["nodes"]  # fmt: skip
        alert = max(alerts, key=lambda item: len(item["ticket"]["handOffs"]))
        customer = ask(f'{{ customer(id: "{alert["ticket"]["customer"]["id"]}") {{ id owner {{ id }} }} }}')["customer"]
        departments = ask("{ departments(first: 50) { nodes { id kind } } }")["departments"]["nodes"]
        far = next(d["id"] for d in departments if d["kind"] == "BACK_OFFICE")
        return {
            "customer": customer["id"],
            "owner": customer["owner"]["id"],
            "ticket": alert["ticket"]["id"],
            "department": alert["department"]["id"],
            "far_department": far,
        }


if __name__ == "__main__":
    main()
