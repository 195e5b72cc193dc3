// Items and item pages: the features of the page on a map, coloured by the legend, with a
// popup of attributes (click, or Enter at the map's centre).

import { readJson } from './common.js';
import { featureMap } from './maps.js';

const target = document.getElementById('map');
if (target) {
  featureMap(target, readJson('features-doc'), readJson('legend-doc', []),
    document.getElementById('popup'));
}
