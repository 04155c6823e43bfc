"""Why a DICOM dataset cannot be used (all are ``ValueError``)."""


class DicomImageError(ValueError):
    """A DICOM dataset whose pixel data cannot be used (the message says why)."""


class NotAnImageError(DicomImageError):
    """The dataset has no integer Pixel Data (SR, RT plan, float pixel data, ...)."""


class DecoderUnavailableError(DicomImageError):
    """pydicom has no installed plugin that decodes this transfer syntax."""
