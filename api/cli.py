"""The ``credcheck`` command.

    credcheck serve [--host H] [--port P] [--workers N] [--rules-dir DIR]
    credcheck check APPLICANT.json [--as-of DATE] [--state ST] [--credential ID ...] [--json]
    credcheck rules validate [--rules-dir DIR]
    credcheck batch INPUT.(csv|jsonl) -o OUTPUT.(csv|xlsx|jsonl) [--as-of DATE] [--credential ID ...] [--workers N]

``check`` reads either a bare applicant (the API's ``applicant`` object) or a full request body
(``{"as_of": ..., "state": ..., "credentials": [...], "applicant": {...}}``); flags override the file.
Exit codes: 0 success, 1 rule set invalid, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

__all__ = ["main"]

_MARK = {"met": "+", "unmet": "x", "unknown": "?"}
_VERDICT = {"eligible": "ELIGIBLE", "ineligible": "INELIGIBLE", "undetermined": "UNDETERMINED"}


def _rules_dir(args: argparse.Namespace) -> Path:
    from engine import default_rules_dir

    return Path(args.rules_dir) if args.rules_dir else default_rules_dir()


def _load(args: argparse.Namespace) -> Any:
    from engine import RuleSetError, load_rulebook

    try:
        return load_rulebook(_rules_dir(args))
    except RuleSetError as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from engine import RuleSetError, load_rulebook

    root = _rules_dir(args)
    try:
        rules = load_rulebook(root).rules  # compiled too: what durable-rules refuses, the service refuses
    except RuleSetError as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 1
    routes = sum(len(c.routes) for c in rules.credentials.values())
    criteria = sum(len(c.criteria) for c in rules.credentials.values())
    notes = sum(len(s.notes) for s in rules.states.values())
    print(f"rule set OK: {root}")
    print(f"  {rules.name} {rules.version_id}")
    print(f"  {len(rules.credentials)} credentials, {routes} routes, {criteria} criteria")
    print(f"  {len(rules.states)} state files, {notes} state notes")
    return 0


def report_table(rules: Any) -> str:
    """``credcheck rules report`` as a Markdown table (rules/README.md shows it; a test keeps it current)."""
    from engine import rules_report

    levels = [f"{s}/{c}" for s in ("official", "secondary") for c in ("high", "medium", "low")]
    head = ["credential", "routes: encoded", "gated", "not encoded", "criteria", *levels]
    head += ["provisional", "incomplete", "cautions"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rules_report(rules):
        routes = row["routes"]
        cells = [f"{row['designation']} `{row['id']}`", routes["full"], routes["gate"], routes["none"], row["criteria"]]
        cells += [row["by_level"].get(level, 0) for level in levels]
        cells += [row["provisional"], row["incomplete"], row["cautions"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def cmd_report(args: argparse.Namespace) -> int:
    from engine import RuleSetError, load_rule_set

    try:
        rules = load_rule_set(_rules_dir(args))
    except RuleSetError as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 1
    print(f"{rules.name} {rules.version_id}: routes by coverage; deciding criteria by source/confidence\n")
    print(report_table(rules), end="")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from .observability import configure_logging
    from .server import serve
    from .settings import Settings

    if args.rules_dir:
        os.environ["CREDCHECK_RULES_DIR"] = str(args.rules_dir.resolve())  # read by every worker process
    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. CREDCHECK_API_KEYS="," : refuse rather than run without keys
        reasons = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        print(f"credcheck: refusing to start: {reasons}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)  # the supervisor logs too (a worker's death, the shutdown)
    workers = args.workers or settings.workers
    if workers == 1:
        # One process: build the app here (an invalid rule set stops it with the file and key at fault)
        # and hand the server the object, so the rules are loaded once.
        from .main import app as target
    else:
        _load(args)  # refuse to start on an invalid rule set before starting workers
        target = "api.main:app"
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker keeps its own counters; a shared directory lets any worker report them all.
        metrics_dir = tempfile.mkdtemp(prefix="credcheck-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        host, port = args.host or settings.host, args.port or settings.port
        return serve(target, settings, host=host, port=port, workers=workers)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _print_text(result: dict[str, Any], out: TextIO, language: str) -> None:
    """The answer (``detail: standard``) as plain text: what blocks each route, in the answer's language."""
    from .i18n import catalogue
    from .render import _

    t = catalogue(language, "messages").gettext
    defs = result["definitions"]
    levels = result["verifications"]
    verdicts = {"eligible": t(_("ELIGIBLE")), "ineligible": t(_("INELIGIBLE")), "undetermined": t(_("UNDETERMINED"))}
    width = max(13, *(len(v) + 1 for v in verdicts.values()))  # the verdicts line up in every language
    confidences = {"high": t(_("high")), "medium": t(_("medium")), "low": t(_("low"))}
    rules = result["rules"]
    out.write(t(_("as of {date}, rules {rules}")).format(date=result["as_of"], rules=rules["id"]) + "\n")
    eligible = ", ".join(result["eligible"]) or t(_("none"))
    out.write(t(_("eligible for: {credentials}")).format(credentials=eligible) + "\n")
    for cred in result["credentials"]:
        out.write(f"\n{verdicts[cred['status']]:<{width}} {cred['designation']} - {cred['name']} [{cred['id']}]\n")
        for route in cred["routes"]:
            info = defs["routes"][route["id"]]
            level = confidences[levels[info["verification"]]["confidence"]]
            confidence = t(_("confidence: {level}")).format(level=level)
            out.write(f"  [{_MARK[route['status']]}] {info['label']}  ({confidence})\n")
            if cred["status"] == "eligible" and route["status"] != "met":
                continue
            groups = {g["id"]: g for g in route["groups"]}
            shown_group = None
            for c in route["criteria"]:
                group = groups.get(c.get("group")) if c.get("group") else None
                # On a route that is not met, the met criteria (and groups) are noise: show what blocks it.
                if route["status"] != "met" and (c["status"] == "met" or (group and group["status"] == "met")):
                    continue
                if group and group["id"] != shown_group:
                    label = defs["groups"][group["id"]]["label"]
                    out.write(f"        {_MARK[group['status']]} " + t(_("one of: {label}")).format(label=label) + "\n")
                shown_group = group["id"] if group else None
                indent = " " * (10 if group else 8)
                out.write(f"{indent}{_MARK[c['status']]} {c['message']}\n")
            for ne in info.get("not_evaluated") or ():
                out.write("        ! " + t(_("not checked: {condition}")).format(condition=ne["text"]) + "\n")
            for caution in route["cautions"]:
                text = t(_("caution (secondary sources only, never decides): {message}"))
                text = text.format(message=caution["message"])
                out.write(f"        ! {text}\n")
            if info.get("reason"):
                out.write("        " + t(_("not encoded: {reason}")).format(reason=info["reason"]) + "\n")
        if cred["inputs_needed"]:
            out.write("  " + t(_("needs: {inputs}")).format(inputs=", ".join(cred["inputs_needed"])) + "\n")
        if cred.get("eligible_from"):
            out.write("  " + t(_("eligible from {date}")).format(date=cred["eligible_from"]) + "\n")
        if cred.get("eligible_until"):
            out.write("  " + t(_("eligible until {date}")).format(date=cred["eligible_until"]) + "\n")
        for n, step in enumerate(cred.get("next_steps") or (), 1):
            out.write(f"  {n}. {step['text']}\n")
    state = result.get("state")
    if state:
        out.write(f"\n{state['name']} ({state['code']}):")
        if not state["researched"]:
            out.write(" " + t(_("not researched yet")) + "\n")
        out.write("\n")
        for note in state["notes"]:
            out.write(f"  - {note['title']} ({note['kind']}): {note['summary']}\n")


def cmd_check(args: argparse.Namespace) -> int:
    from engine import UnknownCredentialError, UnknownStateError, field_errors

    try:
        raw = json.loads(Path(args.file).read_text(encoding="utf-8")) if args.file != "-" else json.load(sys.stdin)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"credcheck: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(raw, dict):
        print("credcheck: expected a JSON object", file=sys.stderr)
        return 2
    request = raw if "applicant" in raw else {"applicant": raw}
    book = _load(args)
    try:
        as_of = dt.date.fromisoformat(args.as_of or request.get("as_of") or dt.datetime.now(dt.UTC).date().isoformat())
    except (TypeError, ValueError):
        print("credcheck: as_of must be a YYYY-MM-DD date", file=sys.stderr)
        return 2
    state = args.state or request.get("state")
    credentials = args.credential or request.get("credentials")
    try:
        evaluation = book.evaluate(request["applicant"], as_of=as_of, credentials=credentials, state=state)
    except ValidationError as exc:
        from .i18n import negotiate
        from .problems import worded_errors

        lang = request.get("lang")
        language = negotiate(args.lang or (lang if isinstance(lang, str) else None))
        print("credcheck: invalid applicant:", file=sys.stderr)
        # named as the API names them, without the values, worded in the answer's language
        for err in worded_errors(field_errors(exc, "applicant"), language):
            print(f"  - {err['field']}: {err['message']}", file=sys.stderr)
        return 2
    except (UnknownCredentialError, UnknownStateError) as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 2
    from .i18n import negotiate
    from .schemas import Detail
    from .serialize import serializer

    language = negotiate(args.lang or request.get("lang"))
    detail = Detail(args.detail or request.get("detail") or (Detail.SUMMARY if args.json else Detail.STANDARD))
    if not args.json and detail == Detail.SUMMARY:
        detail = Detail.STANDARD  # the text shows what blocks each route
    result = serializer(book).eligibility(evaluation, detail=detail, language=language)
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_text(result, sys.stdout, language)
    return 0


class _Progress:
    """A one-line progress report on a terminal: count, percentage, rate and time left."""

    def __init__(self, total: int, stream: TextIO) -> None:
        import time

        self.total, self.stream, self.clock = total, stream, time.monotonic
        self.start = self.last = self.clock()
        self.enabled = stream.isatty()

    def update(self, done: int, final: bool = False) -> None:
        now = self.clock()
        if not self.enabled or (not final and now - self.last < 0.2):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        left = (self.total - done) / rate if rate > 0 else 0
        pct = 100 * done / self.total if self.total else 100
        eta = f"{int(left) // 60}:{int(left) % 60:02d}"
        self.stream.write(f"\r  {done:,}/{self.total:,}  {pct:5.1f}%  {rate:,.0f}/s  ETA {eta}   ")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def cmd_batch(args: argparse.Namespace) -> int:
    import functools
    import time

    from engine import BatchRunner, available_cpus

    from .batch_io import BatchFileError, format_of, read_items, write_results
    from .i18n import catalogue
    from .render import N_, _
    from .schemas import Detail
    from .serialize import batch_item, encoded_item

    source, target = Path(args.input), Path(args.output)
    try:
        output_format = format_of(target)
    except ValueError as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 2
    if target.exists() and source.exists() and target.samefile(source):
        print(f"credcheck: the output {target} is the input file; write the results elsewhere", file=sys.stderr)
        return 2
    if not target.parent.is_dir():
        print(f"credcheck: cannot write {target}: no directory {target.parent}", file=sys.stderr)
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(dt.UTC).date()
    except ValueError:
        print("credcheck: --as-of must be a YYYY-MM-DD date", file=sys.stderr)
        return 2
    book = _load(args)
    for cid in args.credential or ():
        if cid not in book.credential_ids:
            print(f"credcheck: unknown credential `{cid}`", file=sys.stderr)
            return 2
    try:
        batch = read_items(source, book.models.Applicant, language=args.lang)
    except BatchFileError as exc:
        said = catalogue(args.lang, "messages").gettext(_("credcheck: {file}: no row was evaluated:"))
        print(said.format(file=exc.name), file=sys.stderr)  # then the problems, in that language, one a line
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 2
    items = batch.items
    runner = BatchRunner(book, _rules_dir(args), processes=args.workers or available_cpus())
    progress = _Progress(len(batch.rows), sys.stderr)
    started = time.monotonic()
    done = 0

    def advance(_result: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        progress.update(done)

    try:
        # Workers send each result as JSON bytes (far cheaper to pass between processes than its dicts).
        encode = functools.partial(encoded_item, item=batch_item, detail=Detail(args.detail), language=args.lang)
        results = (r.data() for r in runner.run(items, as_of=as_of, credentials=args.credential, encode=encode))
        summary = write_results(
            target,
            batch,
            results,
            rules=book.rules,
            as_of=as_of,
            credentials=args.credential,
            format=output_format,
            language=args.lang,
            on_result=advance,
        )
    except (OSError, ValueError) as exc:
        print(f"credcheck: {exc}", file=sys.stderr)
        return 2
    finally:
        runner.close()
    progress.update(done, final=True)
    elapsed = time.monotonic() - started
    m = catalogue(args.lang, "messages")
    n = summary.count
    done_in = m.ngettext(*N_("{n} applicant in {seconds} s ({rate}/s)", "{n} applicants in {seconds} s ({rate}/s)"), n)
    with_errors = m.gettext(_("{n} with errors"))
    when = m.gettext(_("as of {date}, rules {rules}")).format(date=as_of, rules=book.version_id)
    rate = m.number(round(n / max(elapsed, 1e-9)))
    line = m.gettext(_("{done}, {errors}, {when}: {file}")).format(
        done=done_in.format(n=m.number(n), seconds=f"{elapsed:.1f}", rate=rate),
        errors=with_errors.format(n=m.number(summary.failed)),
        when=when,
        file=args.output,
    )
    print(line, file=sys.stderr)
    for error in summary.errors:  # lines and columns, never a value
        print(f"  - {error}", file=sys.stderr)
    if summary.failed > len(summary.errors):
        more = m.number(summary.failed - len(summary.errors))
        print("  " + m.gettext(_("... and {count} more (see the error column)")).format(count=more), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credcheck", description="Eligibility checker for US medical-technician certifications."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to bind (default $CREDCHECK_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $CREDCHECK_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default $CREDCHECK_WORKERS or 1)")
    serve.add_argument("--rules-dir", type=Path, help="rule set directory (default: the bundled rules/)")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="evaluate one applicant and explain the result")
    check.add_argument("file", help="applicant JSON, or a full request body; - for standard input")
    check.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: the file's as_of, else today in UTC)")
    check.add_argument("--state", help="USPS code for state licensing notes")
    check.add_argument("--credential", action="append", help="evaluate only this credential (repeatable)")
    check.add_argument("--json", action="store_true", help="print the API's JSON answer")
    check.add_argument("--lang", choices=["en", "es"], help="language of the text (default: the file's lang, else en)")
    check.add_argument(
        "--detail", choices=["summary", "standard", "full", "trace"], help="detail of the answer (as in the API)"
    )
    check.add_argument("--rules-dir", type=Path, help="rule set directory")
    check.set_defaults(func=cmd_check)

    batch = sub.add_parser("batch", help="evaluate a file of applicants (.csv or .jsonl) using every CPU")
    batch.add_argument(
        "input", help="applicants: .csv (field columns named by path, other columns kept as notes) or .jsonl"
    )
    batch.add_argument(
        "-o", "--output", required=True, help="results: .csv or .xlsx for a spreadsheet, .jsonl for programs"
    )
    batch.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: today in UTC)")
    batch.add_argument("--credential", action="append", help="evaluate only this credential (repeatable)")
    batch.add_argument("--workers", type=int, help="worker processes (default: every CPU available)")
    batch.add_argument(
        "--detail",
        choices=["summary", "standard", "full"],
        default="summary",
        help="standard and full add every route and criterion (JSONL)",
    )
    batch.add_argument("--lang", choices=["en", "es"], default="en", help="language of the text (default en)")
    batch.add_argument("--rules-dir", type=Path, help="rule set directory")
    batch.set_defaults(func=cmd_batch)

    rules = sub.add_parser("rules", help="rule set tools")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    validate = rules_sub.add_parser("validate", help="validate the rule set (the checks the service runs at start-up)")
    validate.add_argument("--rules-dir", type=Path, help="rule set directory")
    validate.set_defaults(func=cmd_validate)
    report = rules_sub.add_parser(
        "report", help="per credential: routes encoded / gated / not encoded, criteria by source and confidence"
    )
    report.add_argument("--rules-dir", type=Path, help="rule set directory")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
