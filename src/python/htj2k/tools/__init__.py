"""Applications built on the library: ``htj2k.tools.roundtrip`` (verification and
transcoding of whole archives). Nothing in ``htj2k`` imports them."""
