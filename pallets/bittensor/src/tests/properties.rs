// properties
