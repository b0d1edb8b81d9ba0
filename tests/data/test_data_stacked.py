"""Stacked MNIST: three real MNIST digits per image, one per RGB channel, labelled by their digit triple."""

import numpy as np
import pytest

from ganforge.data import ImageArray, load_dataset
from ganforge.data.stacked import SPLIT_SIZES, stack_digits
from ganforge.errors import DataError


@pytest.fixture(scope="module")
def stacked_test(mnist_test: ImageArray) -> ImageArray:
    return load_dataset("stacked-mnist", "test")


def test_every_channel_is_a_real_digit_and_the_label_is_its_triple(
    stacked_test: ImageArray, mnist_test: ImageArray
) -> None:
    assert stacked_test.images.shape == (SPLIT_SIZES["test"][0], 28, 28, 3) and stacked_test.num_classes == 1000
    assert mnist_test.labels is not None and stacked_test.labels is not None
    flat = mnist_test.images.reshape(len(mnist_test), -1)
    lookup = {flat[i].tobytes(): i for i in range(len(flat))}  # digit pixels -> MNIST index
    for k in range(50):
        digits = [int(mnist_test.labels[lookup[stacked_test.images[k, :, :, c].tobytes()]]) for c in range(3)]
        assert stacked_test.labels[k] == 100 * digits[0] + 10 * digits[1] + digits[2]


def test_fixed_data_uniform_modes(stacked_test: ImageArray) -> None:
    again = load_dataset("stacked-mnist", "test")
    assert np.array_equal(again.images, stacked_test.images) and np.array_equal(again.labels, stacked_test.labels)
    assert stacked_test.labels is not None
    hist = np.bincount(stacked_test.labels, minlength=1000)
    assert (hist > 0).sum() == 1000 and hist.max() < 60  # 26 expected per mode


def test_stack_digits_by_hand() -> None:
    digits = np.arange(4, dtype=np.uint8).reshape(4, 1, 1, 1).repeat(2, 1).repeat(2, 2)  # digit i = all pixels i
    images, modes = stack_digits(digits, np.array([7, 8, 9, 0]), n=5, seed=0)
    assert images.shape == (5, 2, 2, 3)
    index = images[:, 0, 0, :].astype(int)  # which digit sits in each channel
    assert np.array_equal(modes, (np.array([7, 8, 9, 0])[index] * [100, 10, 1]).sum(1))


def test_stacked_mnist_errors() -> None:
    with pytest.raises(DataError, match="channels must be 3"):
        load_dataset("stacked-mnist", "test", channels=1)
    with pytest.raises(DataError, match="no split 'valid'"):
        load_dataset("stacked-mnist", "valid")
