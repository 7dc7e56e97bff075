"""Pressroom: Markdown articles into a printable PDF handout and an EPUB 3, through one set of layouts."""

__version__ = "0.1.0"
