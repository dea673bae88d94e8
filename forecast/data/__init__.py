"""Reading series from CSV files and Yahoo Finance, validation, the price cache."""
