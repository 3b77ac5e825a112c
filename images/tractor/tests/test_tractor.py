"""Tests of the tractor image, run inside it by `nx run tractor:image-test`
(after the base image's tests, which this image inherits).

Only the standard library and pytest at module level: a missing package fails
its own test case instead of the whole collection.
"""

import importlib

import pytest

# Import names of what environment.yml and the Dockerfile's pip install add.
TRACTOR_STACK = [
    "tractor",
    "astrometry.util.util",
    "fitsio",
    "photutils",
    "emcee",
]


@pytest.mark.parametrize("module", TRACTOR_STACK)
def test_tractor_stack_imports(module):
    importlib.import_module(module)


def test_tractor_fits_a_point_source():
    """The compiled extensions work: fit a point source's position and flux in a noisy image."""
    import numpy as np
    from tractor import (ConstantSky, Flux, Image, LinearPhotoCal, NCircularGaussianPSF,
                         NullWCS, PixPos, PointSource, Tractor)

    height, width, sigma = 64, 64, 0.01
    true_x, true_y, true_flux = 31.3, 30.6, 100.0
    image = Image(
        data=np.zeros((height, width)),
        invvar=np.full((height, width), 1.0 / sigma**2),
        psf=NCircularGaussianPSF([2.0], [1.0]),
        wcs=NullWCS(),
        photocal=LinearPhotoCal(1.0),
        sky=ConstantSky(0.0),
    )
    source = PointSource(PixPos(true_x, true_y), Flux(true_flux))
    model = Tractor([image], [source])
    rng = np.random.default_rng(42)
    image.data = model.getModelImage(0) + rng.normal(scale=sigma, size=(height, width))

    source.pos = PixPos(true_x + 1.0, true_y - 1.0)
    source.brightness = Flux(true_flux * 0.8)
    model.freezeParam("images")
    for _ in range(50):
        step = model.optimize()[0]
        if step < 1e-3:
            break

    assert abs(source.pos.x - true_x) < 0.05
    assert abs(source.pos.y - true_y) < 0.05
    assert abs(source.brightness.val - true_flux) / true_flux < 0.01
