"""Regenerate the page's screenshots in docs/ (``make screenshots``): the form and an answer, in English and
Spanish, taken from a real service in Debian's Chromium (see tests/web/live.py).

    .venv/bin/python docs/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.web.live import chromium, serve  # noqa: E402
from tests.web.student import fill_student  # noqa: E402

WIDTH, HEIGHT = 820, 1150


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with serve() as base, chromium() as browser:
        for language in ("en", "es"):
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale=language)
            page.goto(f"{base}/{language}/")
            fill_student(page, language)
            page.evaluate("document.getElementById('sec-programs').scrollIntoView()")
            page.screenshot(path=str(args.out / f"page-form-{language}.png"))
            page.locator(".actions button.primary").click()
            page.wait_for_selector("#eligible")
            page.screenshot(path=str(args.out / f"page-answer-{language}.png"))
            page.close()
    for png in sorted(args.out.glob("page-*.png")):
        print(f"{png.relative_to(REPO)}: {png.stat().st_size // 1024} KiB")  # noqa: T201 - a script's report
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
