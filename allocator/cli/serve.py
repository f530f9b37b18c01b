"""``allocator serve [INSTANCE_DIR...]``: the what-if workspace in a browser (docs/web.md)."""
from __future__ import annotations

import sys

from .options import add_common_options, positive_int

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(sub) -> None:
    p = sub.add_parser("serve", help="the what-if workspace in a web browser (budget officers)",
                       description="Start a local web application: baseline of each instance, scenario forms "
                                   "saved as the TOML `allocator whatif` reads, background runs with progress, "
                                   "comparisons, frontier, floor prices and plan reports (docs/web.md). "
                                   "Needs the [web] extra: pip install 'allocator[web]'.")
    p.add_argument("instances", metavar="INSTANCE_DIR", nargs="*",
                   help="instance directories, or folders holding some (default: ./instances if present)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; any other needs a token)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--data", metavar="DIR", default="allocator-data",
                   help="where scenarios, jobs and plans are kept (default ./allocator-data)")
    p.add_argument("--workers", type=positive_int, metavar="N", help="jobs run at once (default: the number of cores)")
    p.add_argument("--token", help="access token (default: generated when --host is not local)")
    add_common_options(p, quiet_help="print nothing at start (a generated token's address is still printed)")
    p.set_defaults(func=run)


def run(args) -> int:
    import secrets

    from ..errors import OptionsError

    try:
        import uvicorn

        from ..web.app import create_app
    except ImportError as err:
        raise OptionsError(f"the web workspace needs FastAPI and uvicorn ({err.name} is missing)",
                           fix="pip install 'allocator[web]'") from None
    from ..web.instances import default_paths, discover

    if not 0 < args.port < 65536:
        raise OptionsError(f"--port {args.port} is not a port", column="--port", fix="e.g. --port 8000")
    paths = args.instances or default_paths()
    if not paths:
        raise OptionsError("no instance to serve", column="INSTANCE_DIR",
                           fix="give instance directories: allocator serve instances/county-demo")
    instances = discover(paths)
    local = args.host in LOCAL_HOSTS
    token = args.token or (None if local else secrets.token_urlsafe(24))
    allowed = ("127.0.0.1", "localhost", "::1") if local else None
    app = create_app(instances, args.data, token=token, workers=args.workers, allowed_hosts=allowed)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    if not args.quiet:
        print(f"allocator workspace: {len(instances)} instance(s), data in {args.data}", file=sys.stderr)
    if not args.quiet or (token and not args.token):  # a generated token is known from here only
        print(f"open {url}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
