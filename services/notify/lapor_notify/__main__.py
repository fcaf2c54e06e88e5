"""``python -m lapor_notify`` (or ``lapor-notify``): run the notify service."""

from lapor_notify.app import create_app
from lapor_notify.settings import NotifySettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, NotifySettings())


if __name__ == "__main__":
    main()
