"""`python -m knowledge validate|index|search|grid|hsds-export|hsds-import|stale`: the catalog's command line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from knowledge.catalog import PROGRAMS_DIR


def _validate(args: argparse.Namespace) -> int:
    from knowledge.validate import validate_catalog

    report = validate_catalog(*[Path(p) for p in args.paths])
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"{len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(report.programs)} programs")
    return 0


def _index(args: argparse.Namespace) -> int:
    from knowledge.catalog import CatalogError, load_programs
    from knowledge.embedding import load_configured_model
    from knowledge.index import build_index, current_state, is_fresh, open_client
    from knowledge.settings import SearchSettings

    settings = SearchSettings()
    try:
        programs = load_programs(settings.catalog_dir)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    client = open_client(settings)
    try:
        if not args.force and is_fresh(current_state(client, settings.collection), settings):
            print(f"index is up to date ({len(programs)} programs); nothing to do")
            return 0
        model = load_configured_model(settings, threads=0)  # batch encoding: all cores
        result = build_index(client, model, programs, settings, force=args.force)
    finally:
        client.close()
    print(f"built {result.state.collection}: {result.state.points} programs, model {result.state.model}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from knowledge.catalog import load_programs
    from knowledge.embedding import load_configured_model
    from knowledge.geo import UnknownPlace, resolve
    from knowledge.search import Searcher, SearchQuery
    from knowledge.settings import SearchSettings

    settings = SearchSettings()
    try:
        near = resolve(args.near) if args.near else None
    except UnknownPlace as exc:
        print(exc, file=sys.stderr)
        return 2
    model = load_configured_model(settings)
    searcher = Searcher.open(settings, load_programs(settings.catalog_dir), model)
    try:
        outcome = searcher.search(
            SearchQuery(
                text=args.query, limit=args.limit, lang=args.lang, near=near, category=args.category, mode=args.mode
            )
        )
    finally:
        searcher.close()
    for rank, hit in enumerate(outcome.hits, 1):
        dist = f" {hit.distance_km} km" if hit.distance_km is not None else ""
        print(
            f"{rank}. [{hit.score:.3f}{dist}] {hit.program.short_name.get(outcome.lang)} "
            f"({', '.join(hit.program.categories)})"
        )
    return 0


def _grid(args: argparse.Namespace) -> int:
    from knowledge.geo import grid_point, nearest_area

    def number(text: str) -> int:
        text = text.strip().upper()
        sign = -1 if text[-1] in "WS" else 1
        return sign * int(text.rstrip("NSEW"))

    lat, lon = grid_point(number(args.east_west), number(args.north_south))
    area, km = nearest_area(lat, lon)
    print(f"lat: {lat}\nlon: {lon}\n# nearest community-area centroid: {area.number} {area.name} ({km:.1f} km)")
    return 0


def _hsds_export(args: argparse.Namespace) -> int:
    from knowledge.catalog import CatalogError, load_programs
    from knowledge.hsds import export_package

    try:
        programs = load_programs(Path(args.catalog))
        out = export_package(programs, Path(args.out_dir), public=not args.full)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{args.out_dir}: cannot write the package: {exc}", file=sys.stderr)
        return 2
    mode = "full (211 exchange)" if args.full else "public"
    print(f"wrote {len(programs)} services as an HSDS package, {mode}, to {out}")
    return 0


def _hsds_import(args: argparse.Namespace) -> int:
    from knowledge.hsds import HSDSImportError, catalog_problems, catalog_yaml, import_package

    try:
        programs = import_package(Path(args.in_dir), form=args.form)
    except HSDSImportError as exc:
        print(exc, file=sys.stderr)
        return 2
    # The records are valid one by one; the file must also pass the catalog-wide rules `validate` applies.
    problems = catalog_problems(programs)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        print(problems[0] + more, file=sys.stderr)
        return 2
    try:
        Path(args.out).write_text(catalog_yaml(programs), encoding="utf-8")
    except OSError as exc:
        print(f"{args.out}: cannot write: {exc}", file=sys.stderr)
        return 2
    print(f"ok: {len(programs)} programs written to {args.out}")
    return 0


def _stale(args: argparse.Namespace) -> int:
    from knowledge.catalog import CatalogError, load_programs
    from knowledge.freshness import stale_programs

    try:
        programs = load_programs(Path(args.catalog))
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    stale = stale_programs(programs, args.days, args.today or dt.date.today())
    for entry in stale:
        print(f"{entry.program.id}\t{entry.program.name.en}\t{entry.verified_on.isoformat()}\t{entry.days}")
    print(
        f"{len(stale)} of {len(programs)} programs were last verified more than {args.days} days ago", file=sys.stderr
    )
    return 0


def _days(text: str) -> int:
    days = int(text)
    if days < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check every catalog record; exit 1 on any problem")
    p.add_argument("paths", nargs="*", default=[str(PROGRAMS_DIR)], help="catalog folders or files")
    p.set_defaults(func=_validate)
    p = sub.add_parser("index", help="embed the catalog into Qdrant; skips when nothing changed")
    p.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    p.set_defaults(func=_index)
    p = sub.add_parser("search", help="try a query from the command line")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--lang", choices=["en", "es"])
    p.add_argument("--near")
    p.add_argument("--category")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.set_defaults(func=_search)
    p = sub.add_parser("grid", help="Chicago grid address numbers -> lat/lon, e.g. `grid 641W 6300S`")
    p.add_argument("east_west")
    p.add_argument("north_south")
    p.set_defaults(func=_grid)
    p = sub.add_parser("hsds-export", help="write the catalog as an Open Referral HSDS 3.0 package (public by default)")
    p.add_argument("out_dir")
    p.add_argument("--full", action="store_true", help="include confidential sites' names and areas (211 exchange)")
    p.add_argument("--catalog", default=str(PROGRAMS_DIR), help="catalog folder to export")
    p.set_defaults(func=_hsds_export)
    p = sub.add_parser("hsds-import", help="read an HSDS package into a catalog file; exit 2 on bad input")
    p.add_argument("in_dir")
    p.add_argument("--out", required=True, help="catalog YAML file to write")
    p.add_argument("--form", choices=["csv", "json"], help="default: csv when datapackage.json is there, else json")
    p.set_defaults(func=_hsds_import)
    p = sub.add_parser("stale", help="programs last verified more than N days ago, oldest first")
    p.add_argument("--days", type=_days, required=True)
    p.add_argument("--today", type=dt.date.fromisoformat, help="count from this date (YYYY-MM-DD) instead of today")
    p.add_argument("--catalog", default=str(PROGRAMS_DIR), help="catalog folder to check")
    p.set_defaults(func=_stale)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
