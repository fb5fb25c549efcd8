"""Assignment of households to unit heads."""
