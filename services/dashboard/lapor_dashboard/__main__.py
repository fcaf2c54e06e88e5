"""``python -m lapor_dashboard`` (or ``lapor-dashboard``): run the oversight dashboard."""

from lapor_dashboard.app import create_app
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, DashboardSettings())


if __name__ == "__main__":
    main()
