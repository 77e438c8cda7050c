/* OpenSlide (libopenslide-dev): whole-slide images, read a region at a time. */
#include <openslide/openslide.h>
