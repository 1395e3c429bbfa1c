"""ICC output profiles for a CMYK print edition: the bundled default, and the check that a
file is one (``pdf: output_intent``).

The bundled profile, ``profiles/masthead-fogra39l.icc`` beside the package's modules, is made
from Fogra's FOGRA39L characterization data under the Zlib licence (its README says how).
Pillow's ImageCms (LittleCMS) reads the profile: a file it cannot open is no ICC profile.
"""

from __future__ import annotations

import io
import os

PROFILE_LIMIT = 16 * 1024 * 1024  # press profiles are 0.5-4 MB; LittleCMS reads it whole
BUNDLED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "profiles",
                       "masthead-fogra39l.icc")


class NotAnOutputProfile(ValueError):
    """The bytes are no ICC profile, or not a CMYK output (printer) profile: the message says which."""


def check_output_profile(data: bytes) -> str:
    """The profile's description, when ``data`` is an ICC output profile of colour space CMYK."""
    from PIL import ImageCms

    if len(data) < 128 or data[36:40] != b"acsp":  # the header's signature (ICC.1 7.2.9)
        raise NotAnOutputProfile("not an ICC profile (no 'acsp' signature in its header)")
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile
    except (OSError, ValueError, TypeError) as exc:
        raise NotAnOutputProfile(f"not a readable ICC profile ({exc})") from None
    space = (profile.xcolor_space or "").strip()
    if space != "CMYK":
        raise NotAnOutputProfile(f"an ICC profile of colour space {space or 'unknown'}, not CMYK: "
                                 "the output intent of a CMYK print edition is the press's CMYK profile")
    if profile.device_class != "prtr":
        raise NotAnOutputProfile(f"a CMYK ICC profile of device class '{profile.device_class}', not an output "
                                 "(printer) profile")
    try:  # what the build does with it: colours from sRGB into it (a damaged one says so only here)
        ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(data)), "RGB", "CMYK")
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        raise NotAnOutputProfile(f"a CMYK profile LittleCMS cannot convert colours into ({exc})") from None
    return (profile.profile_description or profile.model or "CMYK").strip()


def bundled() -> bytes:
    with open(BUNDLED, "rb") as file:
        return file.read()
