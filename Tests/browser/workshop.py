"""The workshop story through the web UI only, in headless Chromium driven by Playwright.

Run by Tests/wfTests/BrowserTests.swift against a `wf serve` it started; by hand:

    WF_UI_URL=http://127.0.0.1:8080 WF_UI_TOKEN=<operator or admin token> \
    WF_UI_VIEWER_TOKEN=<viewer token> WF_UI_SCREENSHOTS=/tmp/shots python3 Tests/browser/workshop.py

It checks what a person sees (texts, the choices offered, errors next to fields, a step
appearing live) and saves a screenshot of every page it visits. Exit status 0 when every
check held; otherwise the failed check is printed with the page's URL and a screenshot.
"""

import json
import os
import re
import sys
import urllib.request

from playwright.sync_api import expect, sync_playwright

BASE = os.environ["WF_UI_URL"].rstrip("/")
TOKEN = os.environ["WF_UI_TOKEN"]
VIEWER = os.environ.get("WF_UI_VIEWER_TOKEN")
SHOTS = os.environ.get("WF_UI_SCREENSHOTS", "/tmp/wf-ui-screenshots")
CHROMIUM = os.environ.get("WF_CHROMIUM", "/usr/bin/chromium")
os.makedirs(SHOTS, exist_ok=True)
shots = []


def shot(page, name):
    path = os.path.join(SHOTS, f"{len(shots) + 1:02d}-{name}.png")
    page.screenshot(path=path, full_page=True)
    shots.append(path)


def api(method, path, body=None):
    """A request to the API with the operator's token, as a script beside the browser would send it."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def sign_in(page, token):
    page.goto(BASE + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#token", token)
    page.click("button[type=submit]")


def answer_page(page, choices=None):
    """Answers the form page shown: the given choices by label, else the first option of each
    choice; accepts are ticked. Returns the labels offered per field."""
    choices = choices or {}
    offered = {}
    for field in page.locator(".wizard .field, #waiting-form .field").all():
        name = field.get_attribute("data-field")
        radios = field.locator("input[type=radio]")
        selects = field.locator("select")
        if radios.count() > 0:
            labels = [label.inner_text().strip() for label in field.locator("label.option").all()]
            offered[name] = labels
            wanted = choices.get(name)
            index = labels.index(wanted) if wanted in labels else 0
            radios.nth(index).check()
        elif selects.count() > 0:
            labels = [o.inner_text().strip() for o in selects.locator("option").all() if o.get_attribute("value")]
            offered[name] = labels
            wanted = choices.get(name)
            if wanted in labels:
                selects.select_option(label=wanted)
            elif not selects.input_value():
                selects.select_option(index=1)
        elif field.locator("input.accept, label.accept input").count() > 0:
            field.locator("label.accept input").check()
        elif name in choices and field.locator("input[type=checkbox]").count() > 0:
            box = field.locator("input[type=checkbox]").first
            box.set_checked(bool(choices[name]))
    return offered


def run_workflow(page, workflow, choices_per_page=(), subscription=None, name=None):
    """Starts `workflow` from the workflows page (or a subscription's page), answers every page,
    creates the process from the summary, and confirms each config it waits on."""
    if subscription:
        page.goto(BASE + "/subscriptions/" + subscription)
        page.click(f"a.button[href^='/start/{workflow}']")
    else:
        page.goto(BASE + "/workflows")
        page.click(f"a[href='/start/{workflow}']")
    offered = []
    number = 0
    while page.locator("button#create").count() == 0:
        choices = choices_per_page[number] if number < len(choices_per_page) else {}
        offered.append(answer_page(page, choices))
        if number == 0:
            shot(page, f"{name or workflow}-form")
        page.click("button[name=action][value=next]")
        number += 1
        assert number < 8, f"{workflow} keeps asking for pages at {page.url}"
    expect(page.locator("h2", has_text="Summary")).to_be_visible()
    shot(page, f"{name or workflow}-summary")
    page.click("button#create")
    expect(page).to_have_url(re.compile(r"/processes/[0-9a-f-]{36}$"))
    while page.locator("#process-status").inner_text() == "suspended":
        expect(page.locator("#waiting-form")).to_be_visible()
        answer_page(page)
        page.click("button#resume")
    expect(page.locator("#process-status")).to_have_text("completed")
    shot(page, f"{name or workflow}-process")
    subscription_link = page.locator("dl.facts a[href^='/subscriptions/']")
    return offered, subscription_link.get_attribute("href").split("/")[-1] if subscription_link.count() else None


def main():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)

        # Signing in: a wrong token is refused with a message, the right one lands on the start page.
        page.goto(BASE + "/")
        expect(page).to_have_url(re.compile(r"/login"))
        page.fill("#token", "wft_not-a-token")
        page.click("button[type=submit]")
        expect(page.locator("#login-error")).to_contain_text("not known")
        shot(page, "sign-in-refused")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("What needs you")
        expect(page.locator("text=Nothing has happened yet")).to_be_visible()
        shot(page, "home-empty")

        # An empty list says so.
        page.goto(BASE + "/subscriptions")
        expect(page.locator(".empty")).to_contain_text("No subscriptions yet")

        # 1. Two nodes; the first node's config confirmation is first answered wrongly (not ticked).
        page.goto(BASE + "/workflows")
        page.click("a[href='/start/create_node']")
        offered = answer_page(page, {"device_id": "loc1-core"})
        assert "loc1-core" in offered.get("device_id", []), f"devices offered: {offered}"
        page.click("button[name=action][value=next]")
        page.click("button#create")
        expect(page.locator("#waiting-form")).to_be_visible()
        expect(page.locator("#waiting-form pre")).to_contain_text("host-name loc1-core")
        page.click("button#resume")
        expect(page.locator(".field-error")).to_contain_text("required")
        shot(page, "create-node-error-next-to-field")
        answer_page(page)
        page.click("button#resume")
        expect(page.locator("#process-status")).to_have_text("completed")
        node_a = page.locator("dl.facts a[href^='/subscriptions/']").get_attribute("href").split("/")[-1]

        # The second node: its process page stays open while the config is confirmed elsewhere
        # (through the API, as a script would); the steps appear live, without a reload.
        page.goto(BASE + "/start/create_node")
        answer_page(page, {"device_id": "loc2-core"})
        page.click("button[name=action][value=next]")
        page.click("button#create")
        expect(page.locator("#process-status")).to_have_text("suspended")
        process_id = page.url.rstrip("/").split("/")[-1]
        page.evaluate("window.__noReload = true")
        api("POST", f"/api/processes/{process_id}/resume", {"confirmed": True})
        expect(page.locator("#process-status")).to_have_text("completed", timeout=15000)
        assert page.evaluate("window.__noReload") is True, "the page reloaded instead of updating in place"
        expect(page.locator("#steps")).to_contain_text("set_status_active")
        shot(page, "create-node-live")
        node_b = page.locator("dl.facts a[href^='/subscriptions/']").get_attribute("href").split("/")[-1]

        # "Back" returns to the page before with its answer kept; nothing is stored meanwhile.
        page.goto(BASE + "/start/create_circuit")
        first_page = answer_page(page)
        chosen = page.locator(".wizard input[type=radio]:checked").all()
        chosen_values = [radio.get_attribute("value") for radio in chosen]
        page.click("button[name=action][value=next]")
        expect(page.locator(".wizard h2")).not_to_contain_text(page.locator(".steps-indicator li").first.inner_text())
        page.click("button[name=action][value=back]")
        expect(page.locator(".steps-indicator li[aria-current]")).to_have_text(page.locator(".steps-indicator li").first.inner_text())
        assert [r.get_attribute("value") for r in page.locator(".wizard input[type=radio]:checked").all()] == chosen_values, "back keeps the answers"
        assert api("GET", "/api/processes?workflow=create_circuit") == [], "nothing is stored before the summary's Create"

        # A form posted without this session's CSRF value is refused, and changes nothing.
        forged = page.request.post(BASE + f"/processes/{process_id}/abort", form={"reason": "forged"})
        assert forged.status == 403, f"a form without the CSRF value answered {forged.status}"
        assert api("GET", f"/api/processes/{process_id}")["last_status"] == "completed"

        # 2. A circuit: the A side, then the B side without the A node, then the free ports.
        offered, circuit = run_workflow(page, "create_circuit", choices_per_page=[{}, {}, {}], name="create-circuit")
        flat = {name: labels for page_offers in offered for name, labels in page_offers.items()}
        a_nodes = next((labels for name, labels in flat.items() if "node" in name and "a" in name.split("_")), None)
        b_nodes = next((labels for name, labels in flat.items() if "node" in name and "b" in name.split("_")), None)
        if a_nodes and b_nodes:
            assert a_nodes[0] not in b_nodes, f"the B side offers the A node: A {a_nodes}, B {b_nodes}"
        ports = [labels for name, labels in flat.items() if "port" in name]
        assert ports and all(any("ethernet" in label for label in labels) for labels in ports), f"ports offered: {flat}"
        assert circuit, "the circuit's process names its subscription"

        # 3. Into service, 4. validated, both started from the circuit's page.
        run_workflow(page, "modify_circuit", subscription=circuit, choices_per_page=[{}, {"under_maintenance": False}], name="modify-circuit")
        run_workflow(page, "validate_circuit", subscription=circuit, name="validate-circuit")

        # The circuit: its model, links to its nodes, the history, and a past view.
        page.goto(BASE + "/subscriptions/" + circuit)
        expect(page.locator("#model")).to_contain_text("port_name")
        expect(page.locator("a[href='/subscriptions/%s']" % node_a).first).to_be_visible()
        expect(page.locator("#history li").first).to_be_visible()
        assert page.locator("#history > li").count() >= 3, "the history shows the processes and versions"
        shot(page, "circuit")
        expect(page.locator("#model")).to_contain_text("under_maintenance false")
        # As it was when modify_circuit started: still under maintenance, and marked as a past view.
        started = page.locator("#history > li", has_text="modify_circuit started").locator(".time").first.inner_text().strip()
        page.fill("input[name=at]", started.replace(" ", "T"))
        page.click("form.at button")
        expect(page.locator("#past-view")).to_contain_text("Past view")
        expect(page.locator("#model")).to_contain_text("under_maintenance true")
        assert page.locator(".workflows a.button").count() == 0, "a past view offers workflows"
        shot(page, "circuit-past")

        # The subscriptions list with a filter, and a node's page showing what uses it.
        page.goto(BASE + "/subscriptions?product=Node")
        assert page.locator("#subscriptions tbody tr").count() == 2
        page.goto(BASE + "/subscriptions/" + node_b)
        expect(page.locator("dl.facts")).to_contain_text("In use by")
        shot(page, "node")

        # The network map: both nodes and the circuit, each linking to its subscription.
        page.goto(BASE + "/map")
        for subscription in (node_a, node_b, circuit):
            expect(page.locator(f"#map a[data-subscription='{subscription}']").first).to_be_attached()
        shot(page, "map")

        # A second circuit aborted and undone from its process page: the undo's own page says
        # what it deleted and set back, and the aborted process links to it.
        started = api("POST", "/api/processes/create_circuit",
                      {"product": "Circuit 10G", "node_a": node_a, "node_b": node_b, "port_a": 2, "port_b": 13})
        page.goto(BASE + "/processes/" + started["process_id"])
        page.fill("form.abort input[name=reason]", "wrong ports")
        page.click("button#abort-undo")
        expect(page.locator("#process-status")).to_have_text("completed")
        expect(page.locator("h1")).to_contain_text("undo_process")
        expect(page.locator("#steps")).to_contain_text("- dcim.cable")
        shot(page, "undo")
        page.goto(BASE + "/processes/" + started["process_id"])
        expect(page.locator("#undone-by")).to_contain_text("Undone by process")
        assert page.locator("button#undo").count() == 0, "an undone process offers its undo again"

        # The start page now lists the last changes; the processes list filters.
        page.goto(BASE + "/")
        expect(page.locator("text=validate_circuit").first).to_be_visible()
        shot(page, "home")
        page.goto(BASE + "/processes?workflow=create_node")
        assert page.locator("#processes tbody tr").count() == 2
        shot(page, "processes")

        # The schedules page: the default hourly validation, with no buttons for an operator.
        page.goto(BASE + "/schedules")
        expect(page.locator("#schedule-validate-subscriptions-hourly")).to_contain_text("@hourly")
        assert page.locator("#schedules button").count() == 0, "an operator is offered to change a schedule"
        assert page.locator("p.notice").count() == 0, "an empty notice is shown"
        shot(page, "schedules")

        # A viewer is not offered what it may not do.
        if VIEWER:
            viewer = browser.new_context(viewport={"width": 1024, "height": 800}).new_page()
            sign_in(viewer, VIEWER)
            viewer.goto(BASE + "/subscriptions/" + circuit)
            assert viewer.locator("a.button[href^='/start/']").count() == 0, "a viewer is offered a workflow button"
            viewer.goto(BASE + "/processes/" + process_id)
            assert viewer.locator("button#retry, button#abort, button#abort-undo, button#undo, button#resume").count() == 0
            expect(viewer.locator("dl.facts")).to_contain_text("by alice")
            expect(viewer.locator("header .who")).to_contain_text("vera")
            shot(viewer, "viewer-process")

        browser.close()
    print("browser story passed; screenshots:")
    for path in shots:
        print("  " + path)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the failure with where it happened, for the Swift test to show
        print(f"browser story failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
