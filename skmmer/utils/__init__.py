"""Utilities for users and developers of skmmer estimators."""
