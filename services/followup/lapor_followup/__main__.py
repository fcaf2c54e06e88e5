"""``python -m lapor_followup`` (or ``lapor-followup``): run the followup service."""

from lapor_followup.app import create_app
from lapor_followup.settings import FollowupSettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, FollowupSettings())


if __name__ == "__main__":
    main()
