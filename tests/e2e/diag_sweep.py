from axe_playwright_python.sync_playwright import Axe

from .helpers import lesson_ids, lesson_path


def test_mobile(browser, live_server):
    for scheme in ("light", "dark"):
        ctx = browser.new_context(base_url=live_server.url, locale="de-DE", color_scheme=scheme,
                                  viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
        page = ctx.new_page()
        for path in ["/", "/auth/register", "/auth/login"] + [lesson_path(lid) for lid in lesson_ids()]:
            page.goto(path)
            r = Axe().run(page).response
            for v in r["violations"]:
                print(f"[{scheme} {path}] {v['id']} {v['impact']} nodes={len(v['nodes'])}")
                for n in v["nodes"][:3]:
                    print("      ", n["target"], n["html"][:100], "|", " ".join(n.get("failureSummary", "").split())[:250])
            over = page.evaluate("[...document.querySelectorAll('.lesson__body table')].map(t => [t.scrollWidth, t.clientWidth])")
            print(path, "tables", over, "docwidth", page.evaluate("[document.documentElement.scrollWidth, innerWidth]"))
        ctx.close()
