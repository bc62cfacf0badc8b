// The IDX datasets this package knows: file names, class names, download mirrors and the
// MD5 checksums of the published .gz files (the ones torchvision checks).

/**
 * What identifies an IDX dataset: its name, class names, file names, download mirrors and
 * checksums. A subclass of IdxImageDataset sets one as its static `spec`.
 */
export interface IdxDatasetSpec {
  /** Also the folder under root, as in torchvision (<root>/MNIST/raw). */
  readonly name: string;
  readonly classes: readonly string[];
  /** The images' height and width, checked when the files are loaded; any size when absent. */
  readonly imageSize?: readonly [number, number];
  readonly files: {
    readonly train: { readonly images: string; readonly labels: string };
    readonly test: { readonly images: string; readonly labels: string };
  };
  /** URL prefixes tried in order; the file name plus '.gz' is appended. */
  readonly mirrors: readonly string[];
  /** MD5 of each '<file>.gz'. */
  readonly md5: Readonly<Record<string, string>>;
}

const standardFiles = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** MNIST: handwritten digits 0-9, 60000 training and 10000 test images of 28x28. */
export const mnistSpec: IdxDatasetSpec = {
  name: 'MNIST',
  classes: [
    '0 - zero',
    '1 - one',
    '2 - two',
    '3 - three',
    '4 - four',
    '5 - five',
    '6 - six',
    '7 - seven',
    '8 - eight',
    '9 - nine',
  ],
  imageSize: [28, 28],
  files: standardFiles,
  mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
  md5: {
    'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
    't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
    't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
  },
};

/** Fashion-MNIST (Zalando): ten kinds of clothing, in MNIST's sizes and format. */
export const fashionMnistSpec: IdxDatasetSpec = {
  name: 'FashionMNIST',
  classes: [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
  imageSize: [28, 28],
  files: standardFiles,
  mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
  md5: {
    'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
    't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
    't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
  },
};

/** Kuzushiji-MNIST: ten cursive Japanese (hiragana) characters, in MNIST's sizes and format. */
export const kmnistSpec: IdxDatasetSpec = {
  name: 'KMNIST',
  classes: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
  imageSize: [28, 28],
  files: standardFiles,
  mirrors: ['http://codh.rois.ac.jp/kmnist/dataset/kmnist/'],
  md5: {
    'train-images-idx3-ubyte.gz': 'bdb82020997e1d708af4cf47b453dcf7',
    'train-labels-idx1-ubyte.gz': 'e144d726b3acfaa3e44228e80efcd344',
    't10k-images-idx3-ubyte.gz': '5c965bf0a639b31b8f53240b1b52f4d7',
    't10k-labels-idx1-ubyte.gz': '7320c461ea6c1c855c0b718fb2a4b134',
  },
};
