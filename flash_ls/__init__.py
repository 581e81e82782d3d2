"""flash-ls: static checks, fixes, build and deploy for Runpod Flash apps."""

__version__ = "0.1.0"
