"""Repository-level tests (packaging and other whole-product checks)."""


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds or installs things; deselect with -m 'not slow'"
    )
