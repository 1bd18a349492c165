"""Web layer: the storefront (views/shop) and the back office (views/admin). Thin: parse, call a service, render."""
