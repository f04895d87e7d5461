"""Renderers: turn diagnostics, results and explanations into text, JSON and graphs."""
