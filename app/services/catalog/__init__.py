"""Catalog: products, options and their prices, VAT rates, promo codes."""
