"""Terminology coverage measured on records no one here wrote."""
