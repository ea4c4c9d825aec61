"""Operator's command line: migrate, load the demo, manage accounts.

    python cli.py migrate
    python cli.py seed-demo              # only with APP_MODE=demo, only into an empty database
    python cli.py create-user USERNAME --role dispatcher --name 王调度 [--team CODE] [--area CODE]
    python cli.py reset-password USERNAME
    python cli.py create-system-client NAME   # the telephony system's key (printed once)
    python cli.py backup FILE            # the database and the evidence store, one archive
    python cli.py restore FILE           # into an empty database (run no migrations before)
Passwords are asked for at the prompt, or read from stdin with --password-stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

from settings import settings  # noqa: E402


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            sys.exit("passwords differ")
    if len(password) < 8 and not settings.demo:
        sys.exit("a password needs at least 8 characters")
    return password


async def _migrate() -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("fieldservice")
    return 0 if result.success else 1


async def _seed_demo() -> int:
    from db.tables import StaffUser
    from demo.seed import load_demo
    from services.policies.service import ensure_default_policies

    if not settings.demo:
        print("refusing: demo data is loaded only with APP_MODE=demo", file=sys.stderr)
        return 2
    await ensure_default_policies()
    if await StaffUser.count() > 0:
        print("database already has users; demo data not loaded")
        return 0
    summary = await load_demo()
    print(f"demo data loaded: {summary}")
    return 0


async def _create_user(args: argparse.Namespace) -> int:
    from db.tables import Area, Team
    from domain.vocabulary import Role
    from services.auth.service import create_user

    team_id = area_id = None
    if args.team:
        team = await Team.select(Team.id).where(Team.code == args.team).first()
        if team is None:
            sys.exit(f"no team {args.team}")
        team_id = team["id"]
    if args.area:
        area = await Area.select(Area.id).where(Area.code == args.area).first()
        if area is None:
            sys.exit(f"no area {args.area}")
        area_id = area["id"]
    user_id = await create_user(
        args.username,
        args.name,
        Role(args.role),
        _password(args.password_stdin),
        team_id,
        area_id,
        args.phone,
    )
    print(f"created user {args.username} (id {user_id})")
    return 0


async def _reset_password(args: argparse.Namespace) -> int:
    from services.auth.service import reset_password

    if not await reset_password(args.username, _password(args.password_stdin)):
        print(f"no user {args.username}", file=sys.stderr)
        return 1
    print(f"password reset for {args.username}; their sessions are revoked")
    return 0


async def _create_system_client(args: argparse.Namespace) -> int:
    from domain.errors import Conflict
    from services.system_clients.schemas import SystemClientCreate
    from services.system_clients.service import create

    try:
        client = await create(None, SystemClientCreate(name=args.name))
    except Conflict:
        print(f"a system client named {args.name} exists", file=sys.stderr)
        return 1
    print(f"created system client {args.name}; its key (shown only now):\n{client.key}")
    return 0


async def _backup(args: argparse.Namespace) -> int:
    from ops.backup import take

    print(f"backup written to {args.file}: {await take(Path(args.file))}")
    return 0


async def _restore(args: argparse.Namespace) -> int:
    from ops.backup import BackupError, restore

    try:
        summary = await restore(Path(args.file))
    except BackupError as exc:
        print(f"refusing: {exc}", file=sys.stderr)
        return 2
    print(
        f"restored from {args.file}: {summary}; phones resend what they queued since on their next sync"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    from domain.vocabulary import Role

    parser = argparse.ArgumentParser(
        prog="cli.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="run database migrations forwards")
    sub.add_parser("seed-demo", help="load the demo data into an empty database (APP_MODE=demo)")
    create = sub.add_parser("create-user", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--team", help="team code")
    create.add_argument("--area", help="area code")
    create.add_argument("--phone", default="")
    create.add_argument("--password-stdin", action="store_true")
    reset = sub.add_parser("reset-password", help="set a new password and revoke the user's tokens")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    system = sub.add_parser(
        "create-system-client", help="create the telephony system's key (POST /api/telephony/calls)"
    )
    system.add_argument("name")
    backup = sub.add_parser(
        "backup", help="write the database and the evidence store to one archive"
    )
    backup.add_argument("file")
    restore = sub.add_parser(
        "restore", help="restore an archive into an empty database and evidence store"
    )
    restore.add_argument("file")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        return asyncio.run(_migrate())
    if args.command == "seed-demo":
        return asyncio.run(_seed_demo())
    if args.command == "create-user":
        return asyncio.run(_create_user(args))
    if args.command == "create-system-client":
        return asyncio.run(_create_system_client(args))
    if args.command == "backup":
        return asyncio.run(_backup(args))
    if args.command == "restore":
        return asyncio.run(_restore(args))
    return asyncio.run(_reset_password(args))


if __name__ == "__main__":
    sys.exit(main())
