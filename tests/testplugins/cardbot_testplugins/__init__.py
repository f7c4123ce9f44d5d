"""Plugins used only by the test suite: well-behaved ones, and a zoo of broken ones."""
