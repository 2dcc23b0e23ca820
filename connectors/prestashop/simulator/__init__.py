"""A local PrestaShop webservice: orders, customers, addresses, countries, products; XML and JSON."""
