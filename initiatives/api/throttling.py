"""DRF's rate throttles, counting each client by ``config.client_address``."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from config.client_address import client_address


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request: Any) -> str:
        return client_address(request)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_ident(self, request: Any) -> str:
        return client_address(request)
