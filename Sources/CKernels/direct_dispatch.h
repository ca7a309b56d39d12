// Internal to CKernels: the pixel strides the direct convolution tiles (CKernels.h) are compiled
// for with a constant stride (3 and 6: a 3-channel stem at stride 1 and 2; 16: a 16-channel 1x1
// convolution), so that their broadcasts are immediate offsets from one pointer; any other stride
// runs the same body with the stride in a register.
#ifndef ECG_DIRECT_DISPATCH_H
#define ECG_DIRECT_DISPATCH_H

#define ECG_DIRECT_DISPATCH(BODY, pixelStride) \
    switch (pixelStride) {                     \
    case 3: BODY(3); break;                    \
    case 6: BODY(6); break;                    \
    case 16: BODY(16); break;                  \
    default: BODY(pixelStride); break;         \
    }

#endif
