"""``python -m lapor_console`` (or ``lapor-console``): run the officer console."""

from lapor_console.app import create_app
from lapor_console.settings import ConsoleSettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, ConsoleSettings())


if __name__ == "__main__":
    main()
