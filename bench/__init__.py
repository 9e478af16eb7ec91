"""Benchmarks of the quality bars (DESIGN.md section 12): `python manage.py bench WHAT`, on PostgreSQL."""
