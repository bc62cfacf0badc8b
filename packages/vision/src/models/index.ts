// Models for 28x28 and 32x32 images, with PyTorch's layer names so state dicts carry over.

export { DigitRecognizer } from './digit-recognizer.js';
