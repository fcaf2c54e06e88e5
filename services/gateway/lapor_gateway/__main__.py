"""``python -m lapor_gateway`` (or ``lapor-gateway``): run the channel gateway."""

from lapor_gateway.app import create_app
from lapor_gateway.settings import GatewaySettings
from lapor_shared.runtime import serve


def main() -> None:
    serve(create_app, GatewaySettings())


if __name__ == "__main__":
    main()
