"""AWS and cluster building blocks, one ComponentResource per concern."""
