"""Writes the BPMN DI (the drawing bpmn-js needs) into hand-written diagrams.

    python tools/bpmn_layout.py bpmn/*.bpmn tests/fixtures/bpmn/*.bpmn   # rewrite in place
    python tools/bpmn_layout.py --check bpmn/*.bpmn    # exit 1 if a file lacks DI or it is stale

See engine/definitions/layout.py for what the layout does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.definitions.layout import LayoutError, layout_bytes, needs_layout  # noqa: E402
from engine.definitions.xml import XmlRefused  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any file needs a layout"
    )
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        data = path.read_bytes()
        try:
            if args.check:
                if needs_layout(data, path.name):
                    print(f"{path}: sin DI o con DI desactualizado", file=sys.stderr)
                    status = 1
                continue
            laid_out = layout_bytes(data, path.name)
        except (XmlRefused, LayoutError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 2
            continue
        if laid_out != data:
            path.write_bytes(laid_out)
            print(f"{path}: diagrama actualizado")
    return status


if __name__ == "__main__":
    sys.exit(main())
