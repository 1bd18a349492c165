"""Reports: queries that return data (rows, Decimals) first; charts and PDFs are drawn from that data."""
