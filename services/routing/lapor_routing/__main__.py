"""``python -m lapor_routing`` (or ``lapor-routing``): run the routing service."""

from lapor_routing.app import create_app
from lapor_routing.settings import RoutingSettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, RoutingSettings())


if __name__ == "__main__":
    main()
