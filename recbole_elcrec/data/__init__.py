"""Data: preparation of RecBole atomic files, the planted-intent generator, device-resident loaders, user histories."""
