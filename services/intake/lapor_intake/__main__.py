"""``python -m lapor_intake`` (or ``lapor-intake``): run the intake service."""

from lapor_intake.app import create_app
from lapor_intake.settings import IntakeSettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, IntakeSettings())


if __name__ == "__main__":
    main()
