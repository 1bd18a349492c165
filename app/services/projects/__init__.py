"""Saved projects: a product, its options and a layout kept to be ordered again."""
