"""The kit's unit tests run inside a service image, where the kit and the opentera package are installed
(tests/integration/test_service_kit_suite.py runs them in the sample's image; see the kit's README)."""
