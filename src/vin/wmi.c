/* wmi.c: world manufacturer identifiers (positions 1-3 of a VIN, or 1-3 + 12-14 for a small
 * manufacturer whose position 3 is 9).
 *
 * DESIGN: the built-in table below is written by hand from public knowledge of manufacturers'
 * codes (manufacturers' VIN guides, press and registration material, Wikipedia's WMI list). It
 * covers the makers of the great majority of cars sold in North America, Europe, Japan, Korea
 * and China: GM, Ford, Stellantis, Toyota, Honda, Nissan, Hyundai-Kia, Subaru, Mazda,
 * Mitsubishi, Suzuki, Isuzu, the VW group, BMW, Mercedes-Benz, Volvo, JLR, Renault, PSA, Fiat,
 * Tesla, Rivian, Lucid, the main Chinese makers and joint ventures, and the common motorcycle
 * and truck makers, with each plant region's codes. The vehicle type matters: it decides
 * whether the position-7 model-year rule applies.
 *
 * At start the table is sorted into one array, extended by VIN_WMI_FILE (a CSV, e.g. NHTSA's
 * full list), and searched with bsearch. Loading happens before threads start; afterwards the
 * array is only read. */
#include "vin/vin.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Short type codes for the table: C car, M MPV, T light truck, H heavy truck, B bus,
 * K motorcycle, I incomplete vehicle. */
struct builtin {
    const char *wmi, *manufacturer, *country, *make;
    char type;
};

static const struct builtin builtin[] = {
    /* ---- United States ---- */
    {"1B3", "Chrysler (Dodge)", "United States", "Dodge", 'C'},
    {"1B4", "Chrysler (Dodge)", "United States", "Dodge", 'M'},
    {"1B7", "Chrysler (Dodge)", "United States", "Dodge", 'T'},
    {"1C3", "FCA US (Chrysler)", "United States", "Chrysler / Dodge", 'C'},
    {"1C4", "FCA US (Chrysler)", "United States", "Jeep / Dodge / Chrysler", 'M'},
    {"1C6", "FCA US (Ram)", "United States", "Ram", 'T'},
    {"1C7", "FCA US (Ram)", "United States", "Ram", 'I'},
    {"1C8", "Chrysler", "United States", "Chrysler", 'M'},
    {"1D3", "Chrysler (Dodge)", "United States", "Dodge", 'T'},
    {"1D4", "Chrysler (Dodge)", "United States", "Dodge", 'M'},
    {"1D7", "Chrysler (Dodge)", "United States", "Dodge", 'T'},
    {"1D8", "Chrysler (Dodge)", "United States", "Dodge", 'M'},
    {"1FA", "Ford Motor Company", "United States", "Ford", 'C'},
    {"1FB", "Ford Motor Company", "United States", "Ford", 'B'},
    {"1FC", "Ford Motor Company", "United States", "Ford", 'I'},
    {"1FD", "Ford Motor Company", "United States", "Ford", 'I'},
    {"1FM", "Ford Motor Company", "United States", "Ford", 'M'},
    {"1FT", "Ford Motor Company", "United States", "Ford", 'T'},
    {"1FU", "Freightliner", "United States", "Freightliner", 'H'},
    {"1FV", "Freightliner", "United States", "Freightliner", 'H'},
    {"1G1", "General Motors", "United States", "Chevrolet", 'C'},
    {"1G2", "General Motors", "United States", "Pontiac", 'C'},
    {"1G3", "General Motors", "United States", "Oldsmobile", 'C'},
    {"1G4", "General Motors", "United States", "Buick", 'C'},
    {"1G6", "General Motors", "United States", "Cadillac", 'C'},
    {"1G8", "General Motors", "United States", "Saturn", 'C'},
    {"1GB", "General Motors", "United States", "Chevrolet", 'I'},
    {"1GC", "General Motors", "United States", "Chevrolet", 'T'},
    {"1GD", "General Motors", "United States", "GMC", 'I'},
    {"1GK", "General Motors", "United States", "GMC", 'M'},
    {"1GM", "General Motors", "United States", "Pontiac", 'M'},
    {"1GN", "General Motors", "United States", "Chevrolet", 'M'},
    {"1GT", "General Motors", "United States", "GMC", 'T'},
    {"1GY", "General Motors", "United States", "Cadillac", 'M'},
    {"1G9", "Small manufacturer (United States)", "United States", "", 'C'},
    {"1HD", "Harley-Davidson", "United States", "Harley-Davidson", 'K'},
    {"1HG", "Honda of America", "United States", "Honda", 'C'},
    {"1HT", "Navistar International", "United States", "International", 'H'},
    {"1J4", "Chrysler (Jeep)", "United States", "Jeep", 'M'},
    {"1J8", "Chrysler (Jeep)", "United States", "Jeep", 'M'},
    {"1L1", "Ford Motor Company (Lincoln)", "United States", "Lincoln", 'C'},
    {"1LN", "Ford Motor Company (Lincoln)", "United States", "Lincoln", 'C'},
    {"1M1", "Mack Trucks", "United States", "Mack", 'H'},
    {"1M2", "Mack Trucks", "United States", "Mack", 'H'},
    {"1ME", "Ford Motor Company (Mercury)", "United States", "Mercury", 'C'},
    {"1N4", "Nissan North America", "United States", "Nissan", 'C'},
    {"1N6", "Nissan North America", "United States", "Nissan", 'T'},
    {"1NX", "NUMMI (Toyota)", "United States", "Toyota", 'C'},
    {"1P3", "Chrysler (Plymouth)", "United States", "Plymouth", 'C'},
    {"1P4", "Chrysler (Plymouth)", "United States", "Plymouth", 'M'},
    {"1VW", "Volkswagen Group of America", "United States", "Volkswagen", 'C'},
    {"1XK", "Kenworth", "United States", "Kenworth", 'H'},
    {"1XP", "Peterbilt", "United States", "Peterbilt", 'H'},
    {"1YV", "Mazda (AutoAlliance International)", "United States", "Mazda", 'C'},
    {"1ZV", "Ford (AutoAlliance International)", "United States", "Ford", 'C'},
    {"19U", "Honda of America (Acura)", "United States", "Acura", 'C'},
    {"19X", "Honda of America", "United States", "Honda", 'C'},
    {"4A3", "Mitsubishi Motors North America", "United States", "Mitsubishi", 'C'},
    {"4A4", "Mitsubishi Motors North America", "United States", "Mitsubishi", 'M'},
    {"4F2", "Mazda (AutoAlliance)", "United States", "Mazda", 'M'},
    {"4F4", "Mazda (AutoAlliance)", "United States", "Mazda", 'T'},
    {"4JG", "Mercedes-Benz U.S. International", "United States", "Mercedes-Benz", 'M'},
    {"4M2", "Ford Motor Company (Mercury)", "United States", "Mercury", 'M'},
    {"4N2", "Nissan (Ford-built Quest)", "United States", "Nissan", 'M'},
    {"4S3", "Subaru of Indiana", "United States", "Subaru", 'C'},
    {"4S4", "Subaru of Indiana", "United States", "Subaru", 'M'},
    {"4T1", "Toyota Motor Manufacturing", "United States", "Toyota", 'C'},
    {"4T3", "Toyota Motor Manufacturing", "United States", "Toyota", 'M'},
    {"4T4", "Toyota Motor Manufacturing", "United States", "Toyota", 'C'},
    {"4UZ", "Freightliner", "United States", "Freightliner", 'I'},
    {"4US", "BMW Manufacturing", "United States", "BMW", 'C'},
    {"4V4", "Volvo Trucks North America", "United States", "Volvo", 'H'},
    {"5FN", "Honda of America", "United States", "Honda", 'M'},
    {"5FP", "Honda of America", "United States", "Honda", 'T'},
    {"5GA", "General Motors", "United States", "Buick", 'M'},
    {"5GZ", "General Motors", "United States", "Saturn", 'M'},
    {"5J6", "Honda of America", "United States", "Honda", 'M'},
    {"5J8", "Honda of America (Acura)", "United States", "Acura", 'M'},
    {"5KB", "Honda of America", "United States", "Honda", 'C'},
    {"5KJ", "Western Star", "United States", "Western Star", 'H'},
    {"5L1", "Ford Motor Company (Lincoln)", "United States", "Lincoln", 'M'},
    {"5LM", "Ford Motor Company (Lincoln)", "United States", "Lincoln", 'M'},
    {"5N1", "Nissan North America", "United States", "Nissan", 'M'},
    {"5N3", "Nissan North America (Infiniti)", "United States", "Infiniti", 'M'},
    {"5NM", "Hyundai Motor Manufacturing Alabama", "United States", "Hyundai", 'M'},
    {"5NP", "Hyundai Motor Manufacturing Alabama", "United States", "Hyundai", 'C'},
    {"5NT", "Hyundai Motor Manufacturing Alabama", "United States", "Hyundai", 'T'},
    {"5TD", "Toyota Motor Manufacturing", "United States", "Toyota", 'M'},
    {"5TE", "Toyota Motor Manufacturing", "United States", "Toyota", 'T'},
    {"5TF", "Toyota Motor Manufacturing", "United States", "Toyota", 'T'},
    {"5UX", "BMW Manufacturing", "United States", "BMW", 'M'},
    {"5XX", "Kia Georgia", "United States", "Kia", 'C'},
    {"5XY", "Kia Georgia", "United States", "Kia / Hyundai", 'M'},
    {"5YF", "Toyota Motor Manufacturing", "United States", "Toyota", 'C'},
    {"5YJ", "Tesla", "United States", "Tesla", 'C'},
    {"5YM", "BMW Manufacturing (M)", "United States", "BMW", 'M'},
    {"50E", "Lucid Motors", "United States", "Lucid", 'C'},
    {"55S", "Mercedes-Benz U.S. International", "United States", "Mercedes-Benz", 'C'},
    {"58A", "Toyota Motor Manufacturing (Lexus)", "United States", "Lexus", 'C'},
    {"7FA", "Honda of America", "United States", "Honda", 'M'},
    {"7FC", "Rivian Automotive", "United States", "Rivian", 'T'},
    {"7JR", "Volvo Car USA", "United States", "Volvo", 'C'},
    {"7MM", "Mazda Toyota Manufacturing", "United States", "Mazda", 'M'},
    {"7MU", "Toyota (Mazda Toyota Manufacturing)", "United States", "Toyota", 'M'},
    {"7PD", "Rivian Automotive", "United States", "Rivian", 'M'},
    {"7SA", "Tesla", "United States", "Tesla", 'M'},
    {"7SY", "Polestar", "United States", "Polestar", 'M'},
    /* ---- Canada ---- */
    {"2A4", "Chrysler Canada", "Canada", "Chrysler", 'M'},
    {"2A8", "Chrysler Canada", "Canada", "Chrysler", 'M'},
    {"2B3", "Chrysler Canada (Dodge)", "Canada", "Dodge", 'C'},
    {"2C3", "FCA Canada", "Canada", "Chrysler / Dodge", 'C'},
    {"2C4", "FCA Canada", "Canada", "Chrysler / Dodge", 'M'},
    {"2C8", "Chrysler Canada", "Canada", "Chrysler", 'M'},
    {"2CN", "CAMI Automotive (GM)", "Canada", "Chevrolet", 'M'},
    {"2D4", "Chrysler Canada (Dodge)", "Canada", "Dodge", 'M'},
    {"2D8", "Chrysler Canada (Dodge)", "Canada", "Dodge", 'M'},
    {"2FA", "Ford Motor Company of Canada", "Canada", "Ford", 'C'},
    {"2FM", "Ford Motor Company of Canada", "Canada", "Ford", 'M'},
    {"2FT", "Ford Motor Company of Canada", "Canada", "Ford", 'T'},
    {"2G1", "General Motors of Canada", "Canada", "Chevrolet", 'C'},
    {"2G2", "General Motors of Canada", "Canada", "Pontiac", 'C'},
    {"2G4", "General Motors of Canada", "Canada", "Buick", 'C'},
    {"2GK", "General Motors of Canada", "Canada", "GMC", 'M'},
    {"2GN", "General Motors of Canada", "Canada", "Chevrolet", 'M'},
    {"2GT", "General Motors of Canada", "Canada", "GMC", 'T'},
    {"2HG", "Honda of Canada Manufacturing", "Canada", "Honda", 'C'},
    {"2HH", "Honda of Canada Manufacturing (Acura)", "Canada", "Acura", 'C'},
    {"2HJ", "Honda of Canada Manufacturing", "Canada", "Honda", 'T'},
    {"2HK", "Honda of Canada Manufacturing", "Canada", "Honda", 'M'},
    {"2HM", "Hyundai Auto Canada", "Canada", "Hyundai", 'C'},
    {"2HN", "Honda of Canada Manufacturing (Acura)", "Canada", "Acura", 'M'},
    {"2LM", "Ford Motor Company of Canada (Lincoln)", "Canada", "Lincoln", 'M'},
    {"2ME", "Ford Motor Company of Canada (Mercury)", "Canada", "Mercury", 'C'},
    {"2NK", "Kenworth (PACCAR Canada)", "Canada", "Kenworth", 'H'},
    {"2P4", "Chrysler Canada (Plymouth)", "Canada", "Plymouth", 'M'},
    {"2S3", "CAMI Automotive (Suzuki)", "Canada", "Suzuki", 'M'},
    {"2T1", "Toyota Motor Manufacturing Canada", "Canada", "Toyota", 'C'},
    {"2T2", "Toyota Motor Manufacturing Canada (Lexus)", "Canada", "Lexus", 'M'},
    {"2T3", "Toyota Motor Manufacturing Canada", "Canada", "Toyota", 'M'},
    /* ---- Mexico ---- */
    {"3AK", "Freightliner Mexico", "Mexico", "Freightliner", 'H'},
    {"3C3", "FCA Mexico", "Mexico", "Fiat / Chrysler", 'C'},
    {"3C4", "FCA Mexico", "Mexico", "Chrysler / Dodge / Jeep", 'M'},
    {"3C6", "FCA Mexico (Ram)", "Mexico", "Ram", 'T'},
    {"3C7", "FCA Mexico (Ram)", "Mexico", "Ram", 'I'},
    {"3CZ", "Honda de Mexico", "Mexico", "Honda", 'M'},
    {"3D3", "Chrysler de Mexico (Dodge)", "Mexico", "Dodge", 'C'},
    {"3D7", "Chrysler de Mexico (Dodge)", "Mexico", "Dodge", 'T'},
    {"3FA", "Ford Motor Company Mexico", "Mexico", "Ford", 'C'},
    {"3FE", "Ford Motor Company Mexico", "Mexico", "Ford", 'I'},
    {"3FM", "Ford Motor Company Mexico", "Mexico", "Ford", 'M'},
    {"3FT", "Ford Motor Company Mexico", "Mexico", "Ford", 'T'},
    {"3G1", "General Motors de Mexico", "Mexico", "Chevrolet", 'C'},
    {"3G7", "General Motors de Mexico", "Mexico", "Pontiac", 'M'},
    {"3GC", "General Motors de Mexico", "Mexico", "Chevrolet", 'T'},
    {"3GK", "General Motors de Mexico", "Mexico", "GMC", 'M'},
    {"3GN", "General Motors de Mexico", "Mexico", "Chevrolet", 'M'},
    {"3GT", "General Motors de Mexico", "Mexico", "GMC", 'T'},
    {"3GY", "General Motors de Mexico", "Mexico", "Cadillac", 'M'},
    {"3HG", "Honda de Mexico", "Mexico", "Honda", 'C'},
    {"3HS", "Navistar Mexico", "Mexico", "International", 'H'},
    {"3KP", "Kia Motors Mexico", "Mexico", "Kia", 'C'},
    {"3LN", "Ford Motor Company Mexico (Lincoln)", "Mexico", "Lincoln", 'C'},
    {"3MD", "Mazda de Mexico", "Mexico", "Mazda", 'C'},
    {"3MV", "Mazda de Mexico", "Mexico", "Mazda", 'M'},
    {"3MZ", "Mazda de Mexico", "Mexico", "Mazda", 'C'},
    {"3N1", "Nissan Mexicana", "Mexico", "Nissan", 'C'},
    {"3N6", "Nissan Mexicana", "Mexico", "Nissan", 'T'},
    {"3N8", "Nissan Mexicana", "Mexico", "Nissan", 'M'},
    {"3PC", "Nissan Mexicana (Infiniti)", "Mexico", "Infiniti", 'M'},
    {"3TM", "Toyota Motor Manufacturing de Baja California", "Mexico", "Toyota", 'T'},
    {"3TY", "Toyota Motor Manufacturing de Guanajuato", "Mexico", "Toyota", 'T'},
    {"3VV", "Volkswagen de Mexico", "Mexico", "Volkswagen", 'M'},
    {"3VW", "Volkswagen de Mexico", "Mexico", "Volkswagen", 'C'},
    /* ---- Japan ---- */
    {"JA3", "Mitsubishi Motors", "Japan", "Mitsubishi", 'C'},
    {"JA4", "Mitsubishi Motors", "Japan", "Mitsubishi", 'M'},
    {"JA7", "Mitsubishi Motors", "Japan", "Mitsubishi", 'T'},
    {"JAA", "Isuzu", "Japan", "Isuzu", 'C'},
    {"JAB", "Isuzu", "Japan", "Isuzu", 'C'},
    {"JAC", "Isuzu", "Japan", "Isuzu", 'M'},
    {"JAL", "Isuzu", "Japan", "Isuzu", 'H'},
    {"JDA", "Daihatsu", "Japan", "Daihatsu", 'C'},
    {"JF1", "Subaru", "Japan", "Subaru", 'C'},
    {"JF2", "Subaru", "Japan", "Subaru", 'M'},
    {"JF3", "Subaru", "Japan", "Subaru", 'T'},
    {"JH2", "Honda (motorcycles)", "Japan", "Honda", 'K'},
    {"JH4", "Honda (Acura)", "Japan", "Acura", 'C'},
    {"JHL", "Honda", "Japan", "Honda", 'M'},
    {"JHM", "Honda", "Japan", "Honda", 'C'},
    {"JKA", "Kawasaki (motorcycles)", "Japan", "Kawasaki", 'K'},
    {"JKB", "Kawasaki (motorcycles)", "Japan", "Kawasaki", 'K'},
    {"JM1", "Mazda", "Japan", "Mazda", 'C'},
    {"JM3", "Mazda", "Japan", "Mazda", 'M'},
    {"JMB", "Mitsubishi Motors (export)", "Japan", "Mitsubishi", 'C'},
    {"JMY", "Mitsubishi Motors (export)", "Japan", "Mitsubishi", 'M'},
    {"JMZ", "Mazda (export)", "Japan", "Mazda", 'C'},
    {"JN1", "Nissan", "Japan", "Nissan", 'C'},
    {"JN3", "Nissan", "Japan", "Nissan", 'M'},
    {"JN6", "Nissan", "Japan", "Nissan", 'T'},
    {"JN8", "Nissan", "Japan", "Nissan", 'M'},
    {"JNA", "Nissan Diesel (UD Trucks)", "Japan", "UD", 'H'},
    {"JNK", "Nissan (Infiniti)", "Japan", "Infiniti", 'C'},
    {"JNR", "Nissan (Infiniti)", "Japan", "Infiniti", 'M'},
    {"JNX", "Nissan (Infiniti)", "Japan", "Infiniti", 'C'},
    {"JS1", "Suzuki (motorcycles)", "Japan", "Suzuki", 'K'},
    {"JS2", "Suzuki", "Japan", "Suzuki", 'C'},
    {"JS3", "Suzuki", "Japan", "Suzuki", 'M'},
    {"JSA", "Suzuki (export)", "Japan", "Suzuki", 'C'},
    {"JT2", "Toyota", "Japan", "Toyota", 'C'},
    {"JT3", "Toyota", "Japan", "Toyota", 'M'},
    {"JT4", "Toyota", "Japan", "Toyota", 'T'},
    {"JT6", "Toyota (Lexus)", "Japan", "Lexus", 'M'},
    {"JT8", "Toyota (Lexus)", "Japan", "Lexus", 'C'},
    {"JTD", "Toyota", "Japan", "Toyota", 'C'},
    {"JTE", "Toyota", "Japan", "Toyota", 'M'},
    {"JTH", "Toyota (Lexus)", "Japan", "Lexus", 'C'},
    {"JTJ", "Toyota (Lexus)", "Japan", "Lexus", 'M'},
    {"JTK", "Toyota (Scion)", "Japan", "Scion", 'C'},
    {"JTL", "Toyota (Scion)", "Japan", "Scion", 'M'},
    {"JTM", "Toyota", "Japan", "Toyota", 'M'},
    {"JTN", "Toyota", "Japan", "Toyota", 'C'},
    {"JYA", "Yamaha (motorcycles)", "Japan", "Yamaha", 'K'},
    {"JYE", "Yamaha (motorcycles)", "Japan", "Yamaha", 'K'},
    /* ---- South Korea ---- */
    {"KL1", "GM Korea", "South Korea", "Chevrolet", 'C'},
    {"KL4", "GM Korea", "South Korea", "Buick", 'M'},
    {"KL7", "GM Korea", "South Korea", "Chevrolet", 'M'},
    {"KL8", "GM Korea", "South Korea", "Chevrolet", 'C'},
    {"KLA", "Daewoo", "South Korea", "Daewoo", 'C'},
    {"KM8", "Hyundai Motor Company", "South Korea", "Hyundai", 'M'},
    {"KMF", "Hyundai Motor Company", "South Korea", "Hyundai", 'T'},
    {"KMH", "Hyundai Motor Company", "South Korea", "Hyundai", 'C'},
    {"KMT", "Hyundai Motor Company (Genesis)", "South Korea", "Genesis", 'C'},
    {"KMU", "Hyundai Motor Company (Genesis)", "South Korea", "Genesis", 'M'},
    {"KNA", "Kia Corporation", "South Korea", "Kia", 'C'},
    {"KNC", "Kia Corporation", "South Korea", "Kia", 'T'},
    {"KND", "Kia Corporation", "South Korea", "Kia / Hyundai", 'M'},
    {"KNE", "Kia Corporation (export)", "South Korea", "Kia", 'C'},
    {"KNM", "Renault Samsung Motors", "South Korea", "Renault Samsung / Nissan", 'C'},
    {"KPA", "SsangYong", "South Korea", "SsangYong", 'M'},
    {"KPT", "SsangYong", "South Korea", "SsangYong", 'M'},
    /* ---- China ---- */
    {"L6T", "Geely Automobile", "China", "Geely", 'C'},
    {"LB3", "Geely Automobile", "China", "Geely", 'C'},
    {"LBE", "Beijing Hyundai", "China", "Hyundai", 'C'},
    {"LBV", "BMW Brilliance Automotive", "China", "BMW", 'C'},
    {"LC0", "BYD Auto", "China", "BYD", 'C'},
    {"LDC", "Dongfeng Peugeot Citroen", "China", "Peugeot / Citroen", 'C'},
    {"LE4", "Beijing Benz", "China", "Mercedes-Benz", 'C'},
    {"LFM", "FAW Toyota", "China", "Toyota", 'C'},
    {"LFP", "FAW Car", "China", "FAW / Hongqi", 'C'},
    {"LFV", "FAW-Volkswagen", "China", "Volkswagen / Audi", 'C'},
    {"LGB", "Dongfeng Nissan", "China", "Nissan", 'C'},
    {"LGW", "Great Wall Motor", "China", "Great Wall / Haval", 'M'},
    {"LGX", "BYD Auto", "China", "BYD", 'C'},
    {"LHG", "GAC Honda", "China", "Honda", 'C'},
    {"LJ1", "JAC Motors", "China", "JAC / NIO", 'C'},
    {"LJD", "Dongfeng Yueda Kia", "China", "Kia", 'C'},
    {"LMG", "GAC Motor", "China", "Trumpchi", 'C'},
    {"LNB", "BAIC Motor", "China", "BAIC", 'C'},
    {"LPS", "Polestar", "China", "Polestar", 'C'},
    {"LRB", "SAIC General Motors (Buick)", "China", "Buick", 'M'},
    {"LRW", "Tesla (Shanghai)", "China", "Tesla", 'C'},
    {"LS5", "Changan Automobile", "China", "Changan", 'C'},
    {"LSG", "SAIC General Motors", "China", "Chevrolet / Buick / Cadillac", 'C'},
    {"LSJ", "SAIC Motor", "China", "MG / Roewe", 'C'},
    {"LSV", "SAIC Volkswagen", "China", "Volkswagen / Skoda", 'C'},
    {"LVG", "GAC Toyota", "China", "Toyota", 'C'},
    {"LVS", "Changan Ford", "China", "Ford", 'C'},
    {"LVV", "Chery Automobile", "China", "Chery", 'C'},
    {"LYV", "Volvo Cars (China)", "China", "Volvo", 'C'},
    {"LZW", "SAIC-GM-Wuling", "China", "Wuling / Baojun", 'C'},
    /* ---- India, Southeast Asia, Turkey ---- */
    {"MA1", "Mahindra & Mahindra", "India", "Mahindra", 'M'},
    {"MA3", "Maruti Suzuki", "India", "Suzuki", 'C'},
    {"MAJ", "Ford India", "India", "Ford", 'C'},
    {"MAL", "Hyundai Motor India", "India", "Hyundai", 'C'},
    {"MAT", "Tata Motors", "India", "Tata", 'C'},
    {"MBH", "Suzuki (India, export)", "India", "Suzuki", 'C'},
    {"MHF", "Toyota (Indonesia)", "Indonesia", "Toyota", 'M'},
    {"MMB", "Mitsubishi Motors Thailand", "Thailand", "Mitsubishi", 'T'},
    {"MNB", "Ford Thailand", "Thailand", "Ford", 'T'},
    {"MNT", "Nissan Thailand", "Thailand", "Nissan", 'T'},
    {"MPA", "Isuzu Thailand", "Thailand", "Isuzu", 'T'},
    {"MR0", "Toyota Motor Thailand", "Thailand", "Toyota", 'T'},
    {"MRH", "Honda Thailand", "Thailand", "Honda", 'C'},
    {"NLH", "Hyundai Assan", "Turkey", "Hyundai", 'C'},
    {"NM0", "Ford Otosan", "Turkey", "Ford", 'M'},
    {"NM4", "Tofas (Fiat)", "Turkey", "Fiat", 'C'},
    {"NMT", "Toyota Motor Manufacturing Turkey", "Turkey", "Toyota", 'C'},
    /* ---- United Kingdom ---- */
    {"SAD", "Jaguar Land Rover (Jaguar)", "United Kingdom", "Jaguar", 'M'},
    {"SAJ", "Jaguar Land Rover (Jaguar)", "United Kingdom", "Jaguar", 'C'},
    {"SAL", "Jaguar Land Rover (Land Rover)", "United Kingdom", "Land Rover", 'M'},
    {"SAR", "Rover", "United Kingdom", "Rover", 'C'},
    {"SB1", "Toyota Manufacturing UK", "United Kingdom", "Toyota", 'C'},
    {"SCA", "Rolls-Royce Motor Cars", "United Kingdom", "Rolls-Royce", 'C'},
    {"SCB", "Bentley Motors", "United Kingdom", "Bentley", 'C'},
    {"SCC", "Lotus Cars", "United Kingdom", "Lotus", 'C'},
    {"SCF", "Aston Martin", "United Kingdom", "Aston Martin", 'C'},
    {"SFD", "Alexander Dennis", "United Kingdom", "Alexander Dennis", 'B'},
    {"SHH", "Honda of the UK Manufacturing", "United Kingdom", "Honda", 'C'},
    {"SHS", "Honda of the UK Manufacturing", "United Kingdom", "Honda", 'M'},
    {"SJN", "Nissan Motor Manufacturing UK", "United Kingdom", "Nissan", 'C'},
    {"SMT", "Triumph Motorcycles", "United Kingdom", "Triumph", 'K'},
    /* ---- Central and Eastern Europe ---- */
    {"TMA", "Hyundai Motor Manufacturing Czech", "Czech Republic", "Hyundai", 'C'},
    {"TMB", "Skoda Auto", "Czech Republic", "Skoda", 'C'},
    {"TRU", "Audi Hungaria", "Hungary", "Audi", 'C'},
    {"TSM", "Magyar Suzuki", "Hungary", "Suzuki", 'C'},
    {"U5Y", "Kia Slovakia", "Slovakia", "Kia", 'C'},
    {"U6Y", "Kia Slovakia", "Slovakia", "Kia", 'M'},
    {"UU1", "Dacia (Renault)", "Romania", "Dacia", 'C'},
    {"VBK", "KTM", "Austria", "KTM", 'K'},
    {"VCF", "Magna Steyr (Fisker)", "Austria", "Fisker", 'M'},
    {"XTA", "AvtoVAZ", "Russia", "Lada", 'C'},
    {"XW8", "Volkswagen Group Rus", "Russia", "Volkswagen / Skoda", 'C'},
    {"X7L", "Renault Russia", "Russia", "Renault", 'C'},
    {"XP7", "Tesla (Berlin)", "Germany", "Tesla", 'M'},
    /* ---- France, Spain ---- */
    {"VF1", "Renault", "France", "Renault", 'C'},
    {"VF3", "Peugeot (Stellantis)", "France", "Peugeot", 'C'},
    {"VF6", "Renault Trucks", "France", "Renault", 'H'},
    {"VF7", "Citroen (Stellantis)", "France", "Citroen", 'C'},
    {"VNK", "Toyota Motor Manufacturing France", "France", "Toyota", 'C'},
    {"VR1", "DS Automobiles (Stellantis)", "France", "DS", 'C'},
    {"VR3", "Peugeot (Stellantis)", "France", "Peugeot", 'C'},
    {"VR7", "Citroen (Stellantis)", "France", "Citroen", 'C'},
    {"VS6", "Ford Espana", "Spain", "Ford", 'C'},
    {"VSK", "Nissan Motor Iberica", "Spain", "Nissan", 'M'},
    {"VSS", "SEAT", "Spain", "SEAT / Cupra", 'C'},
    {"VWV", "Volkswagen Navarra", "Spain", "Volkswagen", 'C'},
    {"VXK", "Opel (Stellantis)", "France", "Opel", 'C'},
    /* ---- Germany ---- */
    {"W06", "Opel (Cadillac)", "Germany", "Cadillac", 'C'},
    {"W0L", "Opel", "Germany", "Opel / Vauxhall", 'C'},
    {"W0V", "Opel (Stellantis)", "Germany", "Opel / Vauxhall", 'C'},
    {"W1K", "Mercedes-Benz", "Germany", "Mercedes-Benz", 'C'},
    {"W1N", "Mercedes-Benz", "Germany", "Mercedes-Benz", 'M'},
    {"W1V", "Mercedes-Benz (vans)", "Germany", "Mercedes-Benz", 'M'},
    {"WA1", "Audi", "Germany", "Audi", 'M'},
    {"WAU", "Audi", "Germany", "Audi", 'C'},
    {"WB1", "BMW Motorrad", "Germany", "BMW", 'K'},
    {"WBA", "BMW", "Germany", "BMW", 'C'},
    {"WBS", "BMW M", "Germany", "BMW", 'C'},
    {"WBX", "BMW", "Germany", "BMW", 'M'},
    {"WBY", "BMW (i)", "Germany", "BMW", 'C'},
    {"WDB", "Mercedes-Benz", "Germany", "Mercedes-Benz", 'C'},
    {"WDC", "DaimlerChrysler (Mercedes-Benz)", "Germany", "Mercedes-Benz", 'M'},
    {"WDD", "Mercedes-Benz", "Germany", "Mercedes-Benz", 'C'},
    {"WDF", "Mercedes-Benz (vans)", "Germany", "Mercedes-Benz", 'M'},
    {"WF0", "Ford-Werke", "Germany", "Ford", 'C'},
    {"WMA", "MAN Truck & Bus", "Germany", "MAN", 'H'},
    {"WME", "smart", "Germany", "smart", 'C'},
    {"WMW", "MINI (BMW)", "Germany", "MINI", 'C'},
    {"WMX", "Mercedes-AMG", "Germany", "Mercedes-AMG", 'C'},
    {"WP0", "Porsche", "Germany", "Porsche", 'C'},
    {"WP1", "Porsche", "Germany", "Porsche", 'M'},
    {"WUA", "Audi Sport (quattro GmbH)", "Germany", "Audi", 'C'},
    {"WV1", "Volkswagen Commercial Vehicles", "Germany", "Volkswagen", 'T'},
    {"WV2", "Volkswagen Commercial Vehicles", "Germany", "Volkswagen", 'M'},
    {"WVG", "Volkswagen", "Germany", "Volkswagen", 'M'},
    {"WVW", "Volkswagen", "Germany", "Volkswagen", 'C'},
    /* ---- Sweden, Italy ---- */
    {"YS2", "Scania", "Sweden", "Scania", 'H'},
    {"YS3", "Saab", "Sweden", "Saab", 'C'},
    {"YSM", "Polestar", "Sweden", "Polestar", 'C'},
    {"YV1", "Volvo Cars", "Sweden", "Volvo", 'C'},
    {"YV2", "Volvo Trucks", "Sweden", "Volvo", 'H'},
    {"YV3", "Volvo Buses", "Sweden", "Volvo", 'B'},
    {"YV4", "Volvo Cars", "Sweden", "Volvo", 'M'},
    {"ZAC", "FCA Italy (Melfi)", "Italy", "Jeep / Fiat", 'M'},
    {"ZAM", "Maserati", "Italy", "Maserati", 'C'},
    {"ZAP", "Piaggio", "Italy", "Piaggio / Vespa", 'K'},
    {"ZAR", "Alfa Romeo", "Italy", "Alfa Romeo", 'C'},
    {"ZCF", "Iveco", "Italy", "Iveco", 'H'},
    {"ZD4", "Aprilia", "Italy", "Aprilia", 'K'},
    {"ZDM", "Ducati", "Italy", "Ducati", 'K'},
    {"ZFA", "Fiat", "Italy", "Fiat", 'C'},
    {"ZFF", "Ferrari", "Italy", "Ferrari", 'C'},
    {"ZGU", "Moto Guzzi", "Italy", "Moto Guzzi", 'K'},
    {"ZHW", "Lamborghini", "Italy", "Lamborghini", 'C'},
    {"ZLA", "Lancia", "Italy", "Lancia", 'C'},
    /* ---- Oceania, South America ---- */
    {"6FP", "Ford Australia", "Australia", "Ford", 'C'},
    {"6G1", "General Motors Holden", "Australia", "Holden", 'C'},
    {"6G2", "General Motors Holden (Pontiac)", "Australia", "Pontiac", 'C'},
    {"6MM", "Mitsubishi Motors Australia", "Australia", "Mitsubishi", 'C'},
    {"6T1", "Toyota Motor Corporation Australia", "Australia", "Toyota", 'C'},
    {"8AF", "Ford Argentina", "Argentina", "Ford", 'T'},
    {"8AG", "General Motors Argentina", "Argentina", "Chevrolet", 'C'},
    {"8AJ", "Toyota Argentina", "Argentina", "Toyota", 'T'},
    {"8AP", "Fiat Argentina", "Argentina", "Fiat", 'C'},
    {"8AW", "Volkswagen Argentina", "Argentina", "Volkswagen", 'C'},
    {"8A1", "Renault Argentina", "Argentina", "Renault", 'C'},
    {"93H", "Honda Brazil", "Brazil", "Honda", 'C'},
    {"93Y", "Renault Brazil", "Brazil", "Renault", 'C'},
    {"9BD", "Fiat Brazil", "Brazil", "Fiat", 'C'},
    {"9BF", "Ford Brazil", "Brazil", "Ford", 'C'},
    {"9BG", "General Motors Brazil", "Brazil", "Chevrolet", 'C'},
    {"9BR", "Toyota Brazil", "Brazil", "Toyota", 'C'},
    {"9BW", "Volkswagen Brazil", "Brazil", "Volkswagen", 'C'},
};

struct entry {
    char key[7];
    bool from_file; /* rows from VIN_WMI_FILE win over built-in ones with the same key */
    struct vin_wmi_info info;
};

static struct entry *table;
static size_t ntable;
static pthread_once_t built = PTHREAD_ONCE_INIT;

static enum vin_vehicle_type type_of_code(char c)
{
    switch (c) {
    case 'C': return VIN_TYPE_CAR;
    case 'M': return VIN_TYPE_MPV;
    case 'T': return VIN_TYPE_TRUCK;
    case 'H': return VIN_TYPE_HEAVY_TRUCK;
    case 'B': return VIN_TYPE_BUS;
    case 'K': return VIN_TYPE_MOTORCYCLE;
    case 'I': return VIN_TYPE_INCOMPLETE;
    default: return VIN_TYPE_UNKNOWN;
    }
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* For sorting: by key, built-in rows before file rows. */
static int cmp_entry_source(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (int)x->from_file - (int)y->from_file;
}

static void build(void)
{
    ntable = ARRAY_LEN(builtin);
    table = xcalloc(ntable, sizeof *table);
    for (size_t i = 0; i < ntable; i++) {
        str_copy(table[i].key, builtin[i].wmi, sizeof table[i].key);
        table[i].info.manufacturer = builtin[i].manufacturer;
        table[i].info.country = builtin[i].country;
        table[i].info.make = builtin[i].make;
        table[i].info.type = type_of_code(builtin[i].type);
    }
    qsort(table, ntable, sizeof *table, cmp_entry);
}

size_t vin_wmi_builtin_count(void)
{
    return ARRAY_LEN(builtin);
}

const struct vin_wmi_info *vin_wmi_lookup(const char *wmi)
{
    pthread_once(&built, build);
    struct entry key;
    str_copy(key.key, wmi, sizeof key.key);
    const struct entry *e = bsearch(&key, table, ntable, sizeof *table, cmp_entry);
    return e ? &e->info : NULL;
}

static const struct {
    const char *name;
    enum vin_vehicle_type type;
} type_names[] = {
    {"Passenger Car", VIN_TYPE_CAR},
    {"Multipurpose Passenger Vehicle (MPV)", VIN_TYPE_MPV},
    {"Truck", VIN_TYPE_TRUCK},
    {"Truck (heavy)", VIN_TYPE_HEAVY_TRUCK},
    {"Bus", VIN_TYPE_BUS},
    {"Motorcycle", VIN_TYPE_MOTORCYCLE},
    {"Trailer", VIN_TYPE_TRAILER},
    {"Incomplete Vehicle", VIN_TYPE_INCOMPLETE},
    {"Low Speed Vehicle (LSV)", VIN_TYPE_LSV},
    {"Off Road Vehicle", VIN_TYPE_OFFROAD},
};

enum vin_vehicle_type vin_type_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(type_names); i++)
        if (strcasecmp(name, type_names[i].name) == 0)
            return type_names[i].type;
    if (strncasecmp(name, "Multipurpose", 12) == 0)
        return VIN_TYPE_MPV;
    if (strncasecmp(name, "Low Speed", 9) == 0)
        return VIN_TYPE_LSV;
    return VIN_TYPE_UNKNOWN;
}

const char *vin_type_name(enum vin_vehicle_type t)
{
    for (size_t i = 0; i < ARRAY_LEN(type_names); i++)
        if (type_names[i].type == t)
            return type_names[i].name;
    return "";
}

/* ---- CSV extension ---- */

/* A row from a file owns its strings; a built-in row points into the static table. */
static void free_file_strings(struct entry *e)
{
    if (!e->from_file)
        return;
    free(unconst(e->info.manufacturer));
    free(unconst(e->info.country));
    free(unconst(e->info.make));
}

/* Split one CSV line (RFC 4180 quotes, "" for a quote) in place into at most max fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            start = out = p;
            for (;;) {
                if (*p == '\0')
                    break;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                p++;
            out = p;
        }
        char sep = *p;
        *out = '\0';
        fields[n++] = start;
        if (sep != ',')
            break;
        p++;
    }
    return n;
}

static bool wmi_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n != 3 && n != 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!vin_char_ok(k[i]))
            return false;
    return n == 3 || k[2] == '9';
}

int vin_wmi_load_file(const char *path, char *err, size_t errlen)
{
    pthread_once(&built, build);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, added = 0;
    int col_wmi = 0, col_man = 1, col_country = 2, col_type = 3, col_make = 4, col_truck = -1;
    size_t first_new = ntable;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char *fields[16];
        int nf = split_csv(line, fields, 16);
        if (lineno == 1) {
            /* The header names the columns; find ours by name. */
            col_wmi = col_man = col_country = col_type = col_make = col_truck = -1;
            for (int i = 0; i < nf; i++) {
                if (!strcasecmp(fields[i], "wmi"))
                    col_wmi = i;
                else if (!strcasecmp(fields[i], "manufacturer"))
                    col_man = i;
                else if (!strcasecmp(fields[i], "country"))
                    col_country = i;
                else if (!strcasecmp(fields[i], "vehicle_type"))
                    col_type = i;
                else if (!strcasecmp(fields[i], "make"))
                    col_make = i;
                else if (!strcasecmp(fields[i], "truck_type"))
                    col_truck = i;
            }
            if (col_wmi < 0 || col_man < 0) {
                snprintf(err, errlen, "%s:1: the header must name at least wmi and manufacturer",
                         path);
                goto fail;
            }
            continue;
        }
        if (col_wmi >= nf || col_man >= nf || !wmi_key_ok(fields[col_wmi])) {
            snprintf(err, errlen,
                     "%s:%d: not a WMI row (wmi must be 3 characters, or 6 with 9 "
                     "in position 3)",
                     path, lineno);
            goto fail;
        }
        table = xrealloc(table, (ntable + 1) * sizeof *table);
        struct entry *e = &table[ntable++];
        str_copy(e->key, fields[col_wmi], sizeof e->key);
        e->from_file = true;
        e->info.manufacturer = xstrdup(fields[col_man]);
        e->info.country = xstrdup(col_country >= 0 && col_country < nf ? fields[col_country] : "");
        /* Makes are joined with | in NHTSA's list; show them as "A / B". */
        const char *mk = col_make >= 0 && col_make < nf ? fields[col_make] : "";
        struct buf b;
        buf_init(&b, strlen(mk) * 3 + 1);
        for (const char *p = mk; *p; p++) {
            if (*p == '|') {
                if (buf_puts(&b, " / ") < 0)
                    break;
            } else if (buf_append(&b, p, 1) < 0) {
                break;
            }
        }
        e->info.make = buf_steal(&b);
        e->info.type = col_type >= 0 && col_type < nf ? vin_type_from_name(fields[col_type])
                                                      : VIN_TYPE_UNKNOWN;
        /* NHTSA marks some truck WMIs heavy (over 10,000 lb): the position-7 rule does not
         * apply to those. */
        if (e->info.type == VIN_TYPE_TRUCK && col_truck >= 0 && col_truck < nf &&
            strcasecmp(fields[col_truck], "heavy") == 0)
            e->info.type = VIN_TYPE_HEAVY_TRUCK;
        added++;
    }
    free(line);
    fclose(f);
    /* Keep one row per WMI: the last after sorting, which is the file's when both have it. */
    qsort(table, ntable, sizeof *table, cmp_entry_source);
    size_t w = 0;
    for (size_t i = 0; i < ntable; i++) {
        if (w > 0 && strcmp(table[w - 1].key, table[i].key) == 0) {
            free_file_strings(&table[w - 1]);
            table[w - 1] = table[i];
        } else {
            table[w++] = table[i];
        }
    }
    ntable = w;
    return added;
fail:
    /* Leave the table as it was: drop the rows of this file read so far. */
    for (size_t i = first_new; i < ntable; i++)
        free_file_strings(&table[i]);
    ntable = first_new;
    free(line);
    fclose(f);
    return -1;
}
