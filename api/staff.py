"""Staff accounts from the command line: `python -m api.staff create --email E --role outreach [--name N]`.

The password is read from the terminal (not echoed) or, with --password-stdin, from standard input, never from an
argument (arguments show in process lists and shell history).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from api.core.settings import DatabaseSettings
from api.crud.staff import ROLES, StaffError, create_staff
from api.db.migrate import upgrade
from api.db.session import make_engine, make_sessionmaker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.staff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", default="")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    url = DatabaseSettings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            user = create_staff(session, email=args.email, display_name=args.name, role=args.role, password=password)
    except StaffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"created {user.role} account {user.email} (id {user.id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
