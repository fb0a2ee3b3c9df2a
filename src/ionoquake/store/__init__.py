"""The local archive: gridded maps in Zarr, tables in Parquet, with provenance."""
