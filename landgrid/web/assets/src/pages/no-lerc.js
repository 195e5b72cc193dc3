// Stands in for geotiff.js's LERC decoder (and the lerc package, whose npm release ships no
// licence file): Landgrid writes DEFLATE GeoTIFFs, so the pages never need it.

export default class LercDecoder {
  constructor() {
    throw new Error('LERC-compressed GeoTIFFs cannot be drawn here');
  }
}
