"""Layout files (макеты): preflight checks against the product's size, and thumbnails."""
