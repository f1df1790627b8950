"""`stepgrad serve`: start the classroom and wait for Ctrl-C.

    stepgrad serve --expr "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88

prints the teacher's link (with its token) and the students' link, then
serves until Ctrl-C, which stops it cleanly with exit status 0: stopping the
server is how a lesson ends, not a failure.

The teacher's link holds a token, new at each start unless `--token TEXT` or
`--token-file PATH` gives one: the file is made (readable by you only, mode
0600) with a random token the first time and read at every later start, so
the teacher's bookmark keeps working after a restart.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    """`stepgrad serve [--host H] [--port P] [--expr FORMULA NAME=VALUE ...]`"""
    parser = commands.add_parser(
        "serve",
        help="open the live classroom page (teacher and student links)",
        description=(
            "Start the classroom web server: one page with the graph, the chain-rule\n"
            "steps, quiz questions and live training, for a projector and the\n"
            "students' laptops. Prints the teacher's link (it holds a secret token:\n"
            "keep it to yourself) and the students' link. Ctrl-C stops it (exit 0)."
        ),
        epilog=(
            "example:\n"
            '  stepgrad serve --expr "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88\n'
            "  stepgrad serve --host 0.0.0.0 --port 8000   (for a classroom network)\n"
            "  stepgrad serve --port 8000 --token-file ~/.stepgrad-token\n"
            "                                     (the same two links at every start)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this computer only; "
        "0.0.0.0: every machine on the network)",
    )
    parser.add_argument(
        "--allow-host",
        metavar="NAME",
        action="append",
        default=[],
        help="a name the server answers to besides its addresses and localhost "
        "(repeat for more), e.g. the name the school's network gives this computer",
    )
    parser.add_argument(
        "--port", type=port_number, default=0, help="the port (default: a free one, printed)"
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        help="the teacher's token (16+ letters, digits, - or _), to keep the teacher's "
        "link across restarts (default: a new random one; other users can see a "
        "command line: --token-file is safer)",
    )
    token.add_argument(
        "--token-file",
        metavar="PATH",
        help="read the teacher's token from PATH, or make PATH (mode 0600) with a new "
        "random one: the teacher's link then stays the same at every start",
    )
    parser.add_argument(
        "--expr", metavar="FORMULA", help='a formula to start with, e.g. "tanh(x*w + b)"'
    )
    parser.add_argument(
        "values", metavar="NAME=VALUE", nargs="*", help="a number for each input of --expr"
    )
    parser.set_defaults(run=run_serve)


def port_number(text: str) -> int:
    """argparse type: a port from 0 (any free one) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def run_serve(arguments: argparse.Namespace) -> int:
    """Serve the classroom until Ctrl-C (or SIGTERM); return 0."""
    from nn.apps.arguments import CommandLineError, parse_assignments
    from nn.apps.classroom import Classroom, ControlError
    from nn.apps.classroom.tokens import check_token, read_or_make_token

    if arguments.values and arguments.expr is None:
        raise CommandLineError(
            f"{arguments.values[0]!r}: input values need a formula; add --expr \"...\""
        )
    values = parse_assignments(arguments.values)
    token = arguments.token
    if arguments.token_file is not None:
        token = read_or_make_token(arguments.token_file)
    if token is not None:
        try:
            check_token(token)
        except ValueError as error:
            source = f"--token-file {arguments.token_file}" if arguments.token_file else "--token"
            raise CommandLineError(f"{source}: {error}") from None
    try:
        room = Classroom(
            arguments.expr, values, host=arguments.host, port=arguments.port,
            token=token, hosts=arguments.allow_host,
        )  # fmt: skip
    except ControlError as error:
        raise CommandLineError(f"--expr: {error}") from None
    except OSError as error:
        raise CommandLineError(
            f"cannot listen on {arguments.host}:{arguments.port} ({error.strerror or error}); "
            "choose another --port, or leave it out to get a free one"
        ) from None
    stop = threading.Event()

    def on_terminate(signal_number: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_terminate)
    try:
        if arguments.host in ("0.0.0.0", ""):
            print(
                f"warning: --host {arguments.host}: any machine on this network can open the page",
                file=sys.stderr,
            )
        print(f"teacher:  {room.teacher_url}")
        print(f"students: {room.student_url}")
        print(f"serving on port {room.port}; Ctrl-C stops", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        room.close()
    print("stopped", flush=True)
    return 0
