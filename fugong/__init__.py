"""fugong: getting enterprises back to work and production after an emergency."""
